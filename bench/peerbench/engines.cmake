# rill's engine for peerbench, included by peerbench's CMakeLists.txt through
# -DPEERBENCH_EXTRA=<this file> (bench/peerbench/run.sh passes it, with
# CMAKE_PREFIX_PATH pointing at an installed rill). Builds peerbench-rill.
find_package(rill CONFIG REQUIRED)
# peerbench builds as C++17; rill::rill's usage requirements raise this
# target to the C++20 rill's headers need.
peer_engine(rill ${CMAKE_CURRENT_LIST_DIR}/rill_engine.cc LIBS rill::rill)
