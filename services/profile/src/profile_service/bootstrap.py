"""Composition root: builds the profile service's store, runtime, keys and handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from mentor_shared.events.schemas import ACCOUNT_TOPIC, PROFILE_TOPIC
from mentor_shared.limits import Limit, RateLimiter
from mentor_shared.runtime import ServiceRuntime, open_store
from mentor_shared.sealing import Sealer
from profile_service import consumers
from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.adapters.directory_cursors import SealedDirectoryCursors
from profile_service.adapters.jwt_keys import JwtAccessTokenIssuer, load_signing_keys
from profile_service.adapters.mongo_repository import MongoProfileUnitOfWork
from profile_service.adapters.schema import LADDER
from profile_service.adapters.sqlite_repository import SqliteProfileUnitOfWork
from profile_service.demo import read_demo_people, seed_demo_people
from profile_service.domain.allowlist import initial_allowed_domains
from profile_service.domain.passwords import PasswordPolicy
from profile_service.domain.reference import default_reference_data
from profile_service.service import startup
from profile_service.service.deps import ProfileDeps
from profile_service.service.invitation_sender import InvitationSender
from profile_service.service.limits import AccountLimits
from profile_service.service.ports import ProfileUnitOfWork
from profile_service.settings import ProfileSettings


@dataclass
class ProfileContext:
    """Everything the HTTP layer and the consumer share in one process."""

    settings: ProfileSettings
    runtime: ServiceRuntime
    deps: ProfileDeps
    issuer: JwtAccessTokenIssuer
    uow_factory: Callable[[], ProfileUnitOfWork]
    invitations: InvitationSender

    async def start_background(self) -> None:
        """Start sending coach imports' claim invitations (the runtime is started around it)."""
        await self.invitations.start()

    async def stop_background(self) -> None:
        """Stop the invitation sender."""
        await self.invitations.stop()


def account_limits(settings: ProfileSettings) -> AccountLimits:
    """The abuse limits from settings."""
    return AccountLimits(
        register_per_ip=Limit(
            "register_per_ip", settings.register_limit_per_ip, settings.register_limit_window_s
        ),
        sign_in_per_ip=Limit(
            "sign_in_per_ip", settings.sign_in_limit_per_ip, settings.sign_in_limit_window_s
        ),
        password_reset_per_ip=Limit(
            "password_reset_per_ip",
            settings.password_reset_limit_per_ip,
            settings.password_reset_limit_window_s,
        ),
        token_per_ip=Limit(
            "token_per_ip", settings.token_limit_per_ip, settings.token_limit_window_s
        ),
        emails_per_address=Limit(
            "account_emails_per_address",
            settings.account_emails_per_address,
            settings.account_emails_window_s,
        ),
        sign_in_per_address=Limit(
            "sign_in_per_address", settings.lockout_max_failures, settings.lockout_window_s
        ),
    )


def build_deps(
    settings: ProfileSettings,
    issuer: JwtAccessTokenIssuer,
    limiter: RateLimiter,
    after_erasure: Callable[[], Awaitable[None]] | None = None,
) -> ProfileDeps:
    """Handler collaborators from settings (and the store's clean-up after an erasure)."""
    deps = ProfileDeps(
        hasher=Argon2PasswordHasher(
            memory_cost_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
        ),
        issuer=issuer,
        reference=default_reference_data(),
        cursors=SealedDirectoryCursors.from_signing_key(issuer.current),
        limiter=limiter,
        password_policy=PasswordPolicy.default(),
        limits=account_limits(settings),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
        verification_ttl=timedelta(seconds=settings.verification_token_ttl_s),
        reset_ttl=timedelta(seconds=settings.reset_token_ttl_s),
        claim_ttl=timedelta(seconds=settings.claim_token_ttl_s),
        sealer=Sealer.from_settings(settings),
    )
    return replace(deps, after_erasure=after_erasure) if after_erasure is not None else deps


async def bootstrap(settings: ProfileSettings) -> ProfileContext:
    """Open the store, build the runtime and consumers, seed the allow-list, admin and demo.

    Raises:
        InvalidAllowedDomain: ``ALLOWED_DOMAINS`` holds a bad entry (fail at start).
        SigningKeyError: The signing key file is unusable.
    """
    initial_domains = initial_allowed_domains(settings.allowed_domains)
    current, previous = load_signing_keys(
        settings.data_dir,
        key_path=settings.jwt_key_path,
        previous_key_path=settings.jwt_previous_key_path,
    )
    issuer = JwtAccessTokenIssuer(
        current,
        previous=previous,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.access_token_ttl_s),
    )
    store = await open_store(settings, "profile", LADDER)
    uow_factory: Callable[[], ProfileUnitOfWork]
    if store.is_mongodb:
        client = store.handle.client

        def uow_factory() -> ProfileUnitOfWork:
            return MongoProfileUnitOfWork(client, "profile")

    else:
        db = store.handle

        def uow_factory() -> ProfileUnitOfWork:
            return SqliteProfileUnitOfWork(db)

    runtime = ServiceRuntime(
        settings, store, publishes=[ACCOUNT_TOPIC, PROFILE_TOPIC], uow_factory=uow_factory
    )
    runtime.add_consumer(
        group_id=consumers.GROUP_ID, topics=consumers.TOPICS, handler=consumers.handle_event
    )
    # Deleted rows are zeroed in a SQLite file (secure_delete); their old pages stay in
    # the write-ahead log until it is checkpointed and emptied (store.after_erasure).
    deps = build_deps(settings, issuer, store.limiter, store.after_erasure)
    await startup.seed_allowed_domains(uow_factory(), initial_domains)
    if settings.admin_email and settings.admin_password:
        await startup.ensure_admin(
            settings.admin_email, settings.admin_password.get_secret_value(), uow_factory(), deps
        )
    if settings.demo_data and settings.demo_people_file is not None:
        # Before the runtime starts: the relay then publishes the demo events with the rest.
        await seed_demo_people(
            uow_factory,
            deps,
            read_demo_people(settings.demo_people_file),
            password=settings.resolved_demo_password(),
        )
    invitations = InvitationSender(
        uow_factory, deps, per_minute=settings.claim_invitations_per_minute
    )
    return ProfileContext(
        settings=settings,
        runtime=runtime,
        deps=deps,
        issuer=issuer,
        uow_factory=uow_factory,
        invitations=invitations,
    )
