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
# Each province's region (东部/中部/西部): the National Bureau of Statistics' three belts as its
# yearbooks group them since the Western Development programme (国家统计局《中国统计年鉴》东、中、西部
# 地区划分, 2000): east 11 (with 辽宁), centre 8 (with 吉林、黑龙江), west 12 (with 内蒙古、广西).
REGION_OF = {
    "11": "east", "12": "east", "13": "east", "21": "east", "31": "east", "32": "east", "33": "east", "35": "east",
    "37": "east", "44": "east", "46": "east",
    "14": "central", "22": "central", "23": "central", "34": "central", "36": "central", "41": "central",
    "42": "central", "43": "central",
    "15": "west", "45": "west", "50": "west", "51": "west", "52": "west", "53": "west", "54": "west", "61": "west",
    "62": "west", "63": "west", "64": "west", "65": "west",
}  # fmt: skip
SHORT = {"15": "内蒙古", "45": "广西", "54": "西藏", "64": "宁夏", "65": "新疆"}


def province_of(code: str) -> str | None:
    """The province whose digits begin ``code``; None when no province has them."""
    return PROVINCES.get(code[:2])


def region_of(code: str) -> str | None:
    """The region (east, central, west) of the province whose digits begin ``code``; None if unknown."""
    return REGION_OF.get(code[:2])


def names_of(code: str) -> set[str]:
    """Every accepted spelling of the province of ``code``: 河北省 or 河北, 广西壮族自治区 or 广西."""
    full = province_of(code)
    if full is None:
        return set()
    short = SHORT.get(code[:2], full.removesuffix("省").removesuffix("市"))
    return {full, short}
