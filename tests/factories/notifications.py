import factory

from notifications.enums import NotificationPurpose, NotificationStatus
from notifications.models import Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = "13912345678"
    text = factory.Sequence(lambda n: f"测试短信{n}")
    purpose = NotificationPurpose.RESULT
    status = NotificationStatus.READY
