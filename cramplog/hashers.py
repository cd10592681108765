from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum for a shared server: 19 MiB, 2 passes, 1 lane.

    Django's defaults (100 MiB, 8 lanes) cost several hundred milliseconds of CPU per check,
    so a few dozen wrong passwords slowed every page on the server (docs/security.md has the
    figures). The algorithm name stays "argon2", so this hasher reads every existing hash,
    and Django rewrites a hash made with other parameters when its owner next logs in.
    """

    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
