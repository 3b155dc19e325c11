"""Neural inference of the inner dark-matter slope: the mixture-density CNN.

The network (after Expósito-Márquez et al. 2022) reads the two phase-space images of a dwarf
galaxy (`dmprofile.kinematics.phase_space_images`) and predicts a two-component Gaussian mixture
over the logarithmic slope gamma_150 of the dark-matter density at 150 pc. Monte-Carlo dropout
gives the epistemic uncertainty.

Training is written once (`Trainer`, `TrainingConfig`, `fit`: galaxy split, checkpoints and
exact resume, early stopping, learning-rate schedule, model card); what a network learns is a small
`Task` object, of which `SlopeTask` is the first. `calibrate_slope` fits, on the validation
galaxies or on an independent calibration suite, factors on the posterior's width and shape
per star count (`width_factors`, `scale_mixtures`), which the model card keeps and
`SlopeModel.posterior` applies.

The mass-profile networks of the disc galaxies (de los Rios et al. 2023) are the second:
`build_mass_cnn` (networks A, B, C and ResNet50), the losses (``"mse"`` and `gaussian_nll`),
`MassProfileTask`, `train_mass`, `BootstrapEnsemble`, the SmoothGrad maps (`smoothgrad`,
`plot_saliency`) and `evaluate_mass` (with the baseline `mstar_only_profile`).

Importing this subpackage is light: Keras and TensorFlow are imported only when a function that
needs them is called (``pip install "dmprofile[nets]"``).
"""

import importlib

__all__ = ["build_mdcnn", "mixture_nll", "MCDropout", "MixtureHead", "SelectChannel",
           "train_slope", "split_by_galaxy", "augment_images", "evaluate_slope", "load_model",
           "SlopeModel", "MixturePasses", "Trainer", "TrainingConfig", "fit", "Task", "SlopeTask",
           "load_model_files", "ModelFiles", "get_model",
           "build_mass_cnn", "build_cnn_a", "build_cnn_b", "build_cnn_c", "build_resnet50",
           "gaussian_nll", "MassProfileTask", "augment_mass_images", "image_summaries",
           "train_mass", "MassModel", "load_mass_model", "BootstrapEnsemble", "bootstrap_rows",
           "ensemble_quantiles", "smoothgrad", "plot_saliency", "evaluate_mass",
           "mstar_only_profile", "suite_inputs", "calibrate_slope", "width_factors",
           "scale_mixtures"]

_LOCATIONS = {
    "build_mdcnn": "_architectures",
    "mixture_nll": "_losses",
    "MCDropout": "_layers",
    "MixtureHead": "_layers",
    "SelectChannel": "_layers",
    "train_slope": "_training",
    "split_by_galaxy": "_split",
    "augment_images": "_slope_task",
    "evaluate_slope": "_evaluation",
    "load_model": "_io",
    "SlopeModel": "_io",
    "MixturePasses": "_io",
    "Trainer": "_trainer",
    "TrainingConfig": "_trainer",
    "fit": "_trainer",
    "Task": "_task",
    "SlopeTask": "_slope_task",
    "load_model_files": "_io",
    "ModelFiles": "_io",
    "get_model": "_io",
    "build_mass_cnn": "_mass_architectures",
    "build_cnn_a": "_mass_architectures",
    "build_cnn_b": "_mass_architectures",
    "build_cnn_c": "_mass_architectures",
    "build_resnet50": "_mass_architectures",
    "gaussian_nll": "_losses",
    "MassProfileTask": "_mass_task",
    "augment_mass_images": "_mass_task",
    "image_summaries": "_mass_task",
    "train_mass": "_mass_training",
    "MassModel": "_mass_model",
    "load_mass_model": "_mass_model",
    "BootstrapEnsemble": "_mass_ensemble",
    "bootstrap_rows": "_mass_task",
    "ensemble_quantiles": "_mass_ensemble",
    "smoothgrad": "_mass_saliency",
    "plot_saliency": "_mass_saliency",
    "evaluate_mass": "_mass_evaluation",
    "mstar_only_profile": "_mass_evaluation",
    "suite_inputs": "_mass_task",
    "calibrate_slope": "_slope_calibration",
    "width_factors": "_widths",
    "scale_mixtures": "_widths",
}


def __getattr__(name):
    if name in _LOCATIONS:
        module = importlib.import_module(f"{__name__}.{_LOCATIONS[name]}")
        return getattr(module, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__():
    return sorted(set(globals()) | set(__all__))
