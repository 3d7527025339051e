"""Made-up people for the demo: names and resident ID numbers with a correct check digit."""

import random

DEMO_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
DEMO_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def demo_id_number(province_code: str, rng=None) -> str:
    """A made-up resident ID number with a correct check digit (GB 11643)."""
    rng = rng or random.SystemRandom()
    body = (
        f"{province_code}0101"
        f"{rng.randint(1970, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{rng.randrange(1000):03d}"
    )
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]
