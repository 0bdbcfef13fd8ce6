"""Use cases of the profile service, one module per use case, and their ports.

Each use case opens the unit of work, applies the domain's decisions, saves,
queues its events in the outbox and commits:

- :mod:`.accounts`: registration, address confirmation, password change, reset, claim;
- :mod:`.sign_in`: signing in, refreshing and ending sessions;
- :mod:`.profiles`: one's own profile, others' public view, the directory;
- :mod:`.grants`: who may see whose contact details (the contact-reveal decision
  itself is :func:`profile_service.domain.grants.contact_for`);
- :mod:`.admin`: the allow-list, usage figures, the coach import and its invitations;
- :mod:`.erasure`: a member's data export and erasure;
- :mod:`.startup`: the first allow-list and the configured administrator.

What several share: :mod:`.deps` (collaborators, event stamping), :mod:`.account_emails`
(emailed links and their cap), :mod:`.password_checks` (the sign-in lockout),
:mod:`.ports` (the repositories and collaborators as Protocols).
"""
