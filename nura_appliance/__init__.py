"""NURA Appliance: a self-hosted, Arabic-first AI customer-support desk in one process."""

import os

# OpenBLAS starts one spinning thread per core for every matrix product. The appliance does its
# numpy work on reader threads and in short bursts (indexing, training the article model), so on a
# small, busy machine those threads only fight each other and the request threads: a 33 x 384 by
# 384 x 1024 product took 51 ms with them and 2.2 ms without (measured on the 2-core CI machine).
# Set before numpy is first imported; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
