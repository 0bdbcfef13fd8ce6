"""Use cases of the profile service and the ports they depend on."""
