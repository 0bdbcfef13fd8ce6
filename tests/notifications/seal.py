"""The sealing key the notifications tests share with the events they publish."""

from mentor_shared.sealing import Sealer

SEAL_KEY = "-P0b1OqFeHDKkbbQ5GaLuj0zg3bl3umNWlVQtCnn3nk="
SEALER = Sealer(SEAL_KEY.encode())
