"""Shared fixtures of the nn tests.

The tensors and matrices here are tiny, and on a loaded 2-core machine the spin-waiting of
multi-threaded BLAS/OpenMP makes every tiny op 10-100x slower than on one thread, so the
package's tests run single-threaded (torch and numpy/scipy BLAS); the limits are restored after.
"""

import pytest
import scipy.linalg  # noqa: F401  (load scipy's BLAS so that the limit applies to it too)
import torch
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="package")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state (reproducible inputs and initial weights)."""
    torch.manual_seed(0)
