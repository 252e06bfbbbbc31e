"""Settings that only this project's development machines need; benchmarks and tests apply them, the product never.

NVLink multicast off in every process we start on the shared GPU hosts (their notes: multicast can take a
shared host down). Users' machines keep NCCL's defaults.
"""

from __future__ import annotations

MULTICAST_OFF: dict[str, str] = {
    "NCCL_NVLS_ENABLE": "0",
    "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1",
    "NVSHMEM_DISABLE_NVLS": "1",
}
