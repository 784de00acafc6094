# System packages only (Debian 12): oneDNN 2.6, protobuf 3.21, gflags, glog, OpenCV 4.6, GoogleTest.
find_package(Threads REQUIRED)
find_package(dnnl 2.6 REQUIRED CONFIG)
find_package(Protobuf REQUIRED)
find_package(gflags REQUIRED CONFIG)
find_package(glog REQUIRED CONFIG)
find_package(OpenMP REQUIRED)

# Debian's libopencv-{core,imgproc,imgcodecs}-dev ship no CMake config; find the libraries directly.
find_path(OpenCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
foreach(_m core imgproc imgcodecs)
  find_library(OpenCV_${_m}_LIB opencv_${_m} REQUIRED)
  if(NOT TARGET opencv::${_m})
    add_library(opencv::${_m} UNKNOWN IMPORTED)
    set_target_properties(opencv::${_m} PROPERTIES IMPORTED_LOCATION ${OpenCV_${_m}_LIB}
                          INTERFACE_INCLUDE_DIRECTORIES ${OpenCV_INCLUDE_DIR})
  endif()
endforeach()

if(Q2I_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
  include(GoogleTest)
endif()
