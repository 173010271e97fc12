"""Sample-data builders, allowed-source loaders, phantoms and datalist helpers."""

from .builder import build_denoising_data, write_datalist, write_slice
from .contrast import TASKS, build_contrast_data, translation_model_name
from .datalist import (
    IMAGE_SUFFIXES,
    find_images,
    load_image_datalist,
    load_windowed_split,
    read_datalist_json,
    single_image_item,
)
from .kspace_io import KSpaceInputError, list_kspace_items, read_kspace
from .phantoms import dead_leaves, random_ellipse_phantom, shepp_logan
from .small_sample import build_small_sample_data, select_items
from .unpaired import UnpairedDataset, select_domain

__all__ = [
    "TASKS",
    "UnpairedDataset",
    "build_contrast_data",
    "select_domain",
    "translation_model_name",
    "IMAGE_SUFFIXES",
    "KSpaceInputError",
    "list_kspace_items",
    "read_kspace",
    "build_denoising_data",
    "dead_leaves",
    "build_small_sample_data",
    "find_images",
    "load_image_datalist",
    "load_windowed_split",
    "read_datalist_json",
    "random_ellipse_phantom",
    "select_items",
    "shepp_logan",
    "single_image_item",
    "write_datalist",
    "write_slice",
]
