# The model's text view, JSON schema, entry walk and checker on hand-made snapshots.
add_executable(model_views_test ${CMAKE_CURRENT_LIST_DIR}/model_views_test.cc)
target_link_libraries(model_views_test PRIVATE vmpl::model GTest::gtest_main)
gtest_discover_tests(model_views_test DISCOVERY_TIMEOUT 60)
