# AMI_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer for everything,
# with UB turned into a hard failure so ctest notices.
if(AMI_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
if(AMI_FUZZ)
  # Every target gets the fuzzer instrumentation; only fuzz_* link the driver.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-omit-frame-pointer -g -DAMI_FUZZING=1)
  add_link_options(-fsanitize=address,undefined)
endif()
