from django.conf import settings


def yishen(request):
    return {"YISHEN_DEMO": settings.YISHEN_DEMO}
