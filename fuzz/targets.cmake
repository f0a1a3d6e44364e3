# The fuzz targets: fuzz/<name>_fuzzer.cpp, seeds in fuzz/corpus/<name>/, an optional dictionary
# fuzz/<name>.dict. Read by fuzz/CMakeLists.txt (the clang build in build-fuzz/) and by the main
# build, which registers one bounded ctest entry fuzz.<name> per target.
set(VESTIBULE_FUZZ_TARGETS http_request headers item_name json_body token_codec config csv)
