"""Users, grants, teams, API keys, tokens and the principal (who may do what)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.models import Body, CountyCodeText, Text
from domain import passwords


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="有效期（秒）")


class PasswordIn(Body):
    """A new password: one's own (with the current one), or another user's reset by an admin."""

    old_password: str | None = Field(
        default=None,
        max_length=passwords.MAX_LENGTH,
        description="修改自己的密码时必填（当前密码）；管理员为他人重设密码时不填",
    )
    new_password: str = Field(
        min_length=passwords.MIN_LENGTH,
        max_length=passwords.MAX_LENGTH,
        description=f"新密码，至少 {passwords.MIN_LENGTH} 个字符",
    )
    reason: str | None = Field(default=None, max_length=2000, description="管理员为他人重设密码时必填：重设理由")


class GrantIn(Body):
    role: str = Field(description="admin / evaluator / county_coordinator / department_user / leader / auditor")
    county: CountyCodeText | None = Field(default=None, description="县级管理员、责任部门用户：所属县")
    team: str | None = Field(default=None, description="评估组成员：所属评估组")
    department: str | None = Field(default=None, description="责任部门用户：部门名称")


class GrantChangeIn(GrantIn):
    reason: Text


class UserIn(Body):
    username: str = Field(examples=["zhang.san"])
    display_name: str = Field(default="", max_length=64, examples=["张三"])
    password: str = Field(
        min_length=passwords.MIN_LENGTH,
        max_length=passwords.MAX_LENGTH,
        description=f"至少 {passwords.MIN_LENGTH} 个字符",
    )
    roles: list[GrantIn] = Field(default_factory=list)


class GrantOut(BaseModel):
    id: str
    role: str
    role_label: str
    county: str | None
    team: str | None
    department: str | None
    revoked: bool


class UserOut(BaseModel):
    username: str
    display_name: str
    active: bool
    demo: bool
    grants: list[GrantOut]


class TeamCountiesIn(Body):
    counties: list[CountyCodeText] = Field(
        examples=[["130425", "370783"]], description="评估组负责的全部县（替换原有名单）"
    )
    reason: Text
    region_override: bool = Field(default=False, description="确需把本区域以外的县分配给该组时设为 true")
    region_override_reason: Text | None = Field(default=None, description="跨区域分配的理由（region_override 时必填）")


class TeamOut(BaseModel):
    code: str
    name: str
    region: str
    counties: list[str]


class ApiKeyIn(Body):
    label: str = Field(max_length=100, examples=["县农业农村局数据中台"])
    indicators: list[str] = Field(default_factory=list, description="限定可报送的指标；为空表示该县全部指标")


class ApiKeyOut(BaseModel):
    id: str
    county: str
    label: str
    indicators: list[str]
    revoked: bool


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="完整密钥，仅在创建时显示一次")


class PrincipalOut(BaseModel):
    name: str
    kind: str
    roles: list[str]
    readable_counties: list[str] | None
