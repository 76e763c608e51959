"""The provinces of mainland China by the first two digits of an administrative code (GB/T 2260).

An enrolled county's code must start with a province's digits and the province typed must be
that province (its full or its short name), so that a typing slip in either is caught.
"""

from __future__ import annotations

PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}  # fmt: skip
SHORT = {"15": "内蒙古", "45": "广西", "54": "西藏", "64": "宁夏", "65": "新疆"}


def province_of(code: str) -> str | None:
    """The province whose digits begin ``code``; None when no province has them."""
    return PROVINCES.get(code[:2])


def names_of(code: str) -> set[str]:
    """Every accepted spelling of the province of ``code``: 河北省 or 河北, 广西壮族自治区 or 广西."""
    full = province_of(code)
    if full is None:
        return set()
    short = SHORT.get(code[:2], full.removesuffix("省").removesuffix("市"))
    return {full, short}
