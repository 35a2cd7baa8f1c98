# ReadRingImage and WriteRingImage (inspect/src/ring_image.cc) on rings made by trace::Ring, read
# back through RingReader::AttachPath as `vmpl trace record --remote/--core` reads them.
add_executable(ring_image_test ${CMAKE_CURRENT_LIST_DIR}/ring_image_test.cc)
target_link_libraries(ring_image_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(ring_image_test DISCOVERY_TIMEOUT 60)
