"""``ladder plan``'s torch-free figures equal the library ones they stand in for."""

from __future__ import annotations

import numpy as np
import pytest

from training.presets import PRESETS, preset_config
from training.quick_count import dense_parameters, gpu_peak_table


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_dense_count_equals_the_meta_device_count(preset):
    from transformers import AutoConfig

    from training.flops import count_parameters

    keys = preset_config(preset)
    config = AutoConfig.for_model(keys.pop("model_type"), **keys)
    assert dense_parameters(preset_config(preset)) == count_parameters(config)


def test_dense_count_with_biases_untied_and_head_dim_equals_meta_count():
    from transformers import AutoConfig

    from training.flops import count_parameters

    keys = preset_config("llama-tiny", {"attention_bias": True, "mlp_bias": True, "head_dim": 8})
    keys["tie_word_embeddings"] = False
    config = AutoConfig.for_model(keys.pop("model_type"), **keys)
    assert dense_parameters({**keys, "model_type": "llama"}) == count_parameters(config)
    assert dense_parameters({**keys, "model_type": "mixtral"}) is None


def test_gpu_table_equals_composers():
    from composer.callbacks.speed_monitor import GPU_AVAILABLE_FLOPS

    assert gpu_peak_table() == GPU_AVAILABLE_FLOPS


@pytest.mark.parametrize(
    ("weights", "samples"),
    [
        ([{"proportion": 3}, {"proportion": 1}], [10, 1000]),
        ([{"repeat": 2.5}, {"choose": 7}, {}], [10, 1000, 33]),
        ([{}, {}], [5, 15]),
    ],
)
def test_phase_shares_equal_streamings_apply_weights(tmp_path, weights, samples):
    from streaming import Stream

    from training.mix import StreamWeight
    from training.mix_weights import phase_shares

    models = [StreamWeight(**w) for w in weights]
    streams = [Stream(local=str(tmp_path / str(i)), **w) for i, w in enumerate(weights)]
    available = np.array(samples, np.int64)
    relative = models[0].proportion is not None
    Stream.apply_weights(streams, available, 100 if relative else None, 7)
    expected = np.array([s.proportion for s in streams], np.float64)
    np.testing.assert_allclose(phase_shares(models, available), expected)
