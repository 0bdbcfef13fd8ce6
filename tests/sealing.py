"""The one sealing key of a test session.

Tests that run a profile or notifications service in process share the session's
embedded broker, and a notifications service reads every account event on it,
other tests' too: with one key everywhere, each of those events can be opened
(as in a real deployment, where profile and notifications share EVENT_SEAL_KEY)."""

from mentor_shared.sealing import Sealer

SEAL_KEY = "WsN0zzrJsLAxPTjfbCiKPRNGhmLnzh_bZWG-6apL22Q="
SEALER = Sealer(SEAL_KEY.encode())
