"""Where OutSmart relations come from: export files on disk (``files``) or the API, normalised by ``records``."""
