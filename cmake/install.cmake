# Installation of the library part of quant2int8 as a CMake package:
#
#   cmake --install <build> --component quant2int8_dev --prefix <prefix>
#
# then, in another project:
#
#   find_package(quant2int8 CONFIG REQUIRED)        # with <prefix> in CMAKE_PREFIX_PATH
#   target_link_libraries(app PRIVATE quant2int8::api)
#
# Installed: the static libraries support, proto, ir, converter, runtime and api (targets
# quant2int8::<name>), the public headers of support/, ir/, runtime/, api/ and converter/ under
# include/ (no header includes the generated framework.pb.h), and quant2int8Config.cmake, which finds
# the dependencies (Threads, dnnl, Protobuf, OpenMP). Tools install into bin/ with their own rules.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(Q2I_PACKAGE_LIBS q2i_support q2i_proto q2i_ir q2i_converter q2i_runtime q2i_api)
set(Q2I_PACKAGE_COMPLETE ON)
foreach(lib ${Q2I_PACKAGE_LIBS})
  if(NOT TARGET ${lib})
    set(Q2I_PACKAGE_COMPLETE OFF)
  endif()
endforeach()

if(Q2I_PACKAGE_COMPLETE)
  set(Q2I_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/quant2int8)
  foreach(lib ${Q2I_PACKAGE_LIBS})
    string(REPLACE "q2i_" "" export_name ${lib})
    set_target_properties(${lib} PROPERTIES EXPORT_NAME ${export_name})
    target_include_directories(${lib} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()
  # The generated protobuf header is private to the converter: only the build tree sees it.
  set_property(TARGET q2i_proto PROPERTY INTERFACE_INCLUDE_DIRECTORIES
               $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/proto>)

  install(TARGETS ${Q2I_PACKAGE_LIBS} EXPORT quant2int8Targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT quant2int8_dev
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT quant2int8_dev)
  foreach(dir support ir runtime api converter)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir}
            COMPONENT quant2int8_dev FILES_MATCHING PATTERN "*.h")
  endforeach()
  install(EXPORT quant2int8Targets NAMESPACE quant2int8:: DESTINATION ${Q2I_CMAKE_DIR}
          COMPONENT quant2int8_dev)

  file(WRITE ${PROJECT_BINARY_DIR}/quant2int8Config.cmake.in [=[
@PACKAGE_INIT@
# quant2int8: targets quant2int8::api (Predictor), ::runtime (Executor), ::converter (model I/O),
# ::ir, ::support. Static libraries; their dependencies are found here.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(dnnl CONFIG)
find_dependency(Protobuf)
find_dependency(OpenMP)
include("${CMAKE_CURRENT_LIST_DIR}/quant2int8Targets.cmake")
check_required_components(quant2int8)
]=])
  configure_package_config_file(${PROJECT_BINARY_DIR}/quant2int8Config.cmake.in
                                ${PROJECT_BINARY_DIR}/quant2int8Config.cmake
                                INSTALL_DESTINATION ${Q2I_CMAKE_DIR})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/quant2int8ConfigVersion.cmake
                                   VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/quant2int8Config.cmake ${PROJECT_BINARY_DIR}/quant2int8ConfigVersion.cmake
          DESTINATION ${Q2I_CMAKE_DIR} COMPONENT quant2int8_dev)
endif()
