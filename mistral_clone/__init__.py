"""mistral_clone: a fast re-implementation of the OpenStack Mistral workflow service (API v2)."""
