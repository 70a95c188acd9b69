"""skdnn with other libraries: array API, GPU, ONNX, Dask, plots, HDF5."""
