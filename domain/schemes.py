"""The published scheme of a year, as its own small stream."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.commands import Context
from domain.errors import InvalidCommand
from domain.scheme import Scheme

SCHEME_NAMESPACE = uuid5(NAMESPACE_URL, "https://ruraleval.cn/scheme")


def scheme_stream_id(scheme_id: str) -> UUID:
    return uuid5(SCHEME_NAMESPACE, scheme_id)


class PublishedScheme(Aggregate):
    """The centre's scheme: published once, revised with a reason."""

    class SchemePublished(Aggregate.Created):
        scheme: Scheme
        actor: str
        correlation_id: str

    def __init__(self, scheme: Scheme, actor: str, correlation_id: str) -> None:
        self.scheme = scheme
        self.revision = 1

    @classmethod
    def publish(cls, scheme: Scheme, context: Context) -> PublishedScheme:
        return cls._create(
            cls.SchemePublished,
            id=scheme_stream_id(scheme.id),
            timestamp=context.recorded_at,
            scheme=scheme,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    def revise(self, scheme: Scheme, reason: str, context: Context) -> None:
        if scheme.id != self.scheme.id:
            raise InvalidCommand.of("id", "same_scheme", "修订方案时编号不能改变")
        if not reason.strip():
            raise InvalidCommand.of("reason", "reason_required", "修订方案必须填写理由（reason）")
        self.trigger_event(
            self.SchemeRevised,
            timestamp=context.recorded_at,
            scheme=scheme,
            reason=reason.strip(),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    class SchemeRevised(Aggregate.Event):
        scheme: Scheme
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: PublishedScheme) -> None:
            aggregate.scheme = self.scheme
            aggregate.revision += 1
