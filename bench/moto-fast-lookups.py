# moto's server for the benchmark, with one change: a secret is found by its name with a dictionary
# lookup. moto's store keys its secrets by name but answers every lookup (`in`, `[]`, `get`) by
# scanning all of them for a matching name or ARN, so each id of a BatchGetSecretValue costs O(N):
# at 5,000 secrets one plan spent 9.45 s of moto's CPU there, and the benchmark measured moto rather
# than sopsync. A name holds no ':' and every ARN does, so a key that is a stored name matches only
# that secret: the answers are moto's own. ARNs and partial ARNs still go through moto's scan.
# Usage: python moto-fast-lookups.py [moto_server arguments]
import sys

from moto.secretsmanager.models import SecretsStore
from moto.server import main

_scan_getitem = SecretsStore.__getitem__
_scan_contains = SecretsStore.__contains__
_scan_get = SecretsStore.get


def _getitem(self, key):
    if dict.__contains__(self, key):
        return dict.__getitem__(self, key)
    return _scan_getitem(self, key)


def _contains(self, key):
    return dict.__contains__(self, key) or _scan_contains(self, key)


def _get(self, key):
    if dict.__contains__(self, key):
        return dict.__getitem__(self, key)
    return _scan_get(self, key)


SecretsStore.__getitem__ = _getitem
SecretsStore.__contains__ = _contains
SecretsStore.get = _get

if __name__ == "__main__":
    sys.exit(main())
