// A registry writer stopped inside its write section, for tests of the registry's readers.
//
// The constructor starts a thread that enters a write section (Registry::
// RunInWriteSectionForTesting: generation odd, writer_tid that thread) and stays there; it returns
// once the thread is inside. Release() lets the writer finish the section (generation even again)
// and joins it; the destructor releases too. Used by tests/core/registry_test.cc (Snapshot waits)
// and tests/inspect/registry_reader_test.cc (ReadRegistry waits for a running target).

#ifndef VMPL_TESTS_CORE_HELD_WRITE_SECTION_H_
#define VMPL_TESTS_CORE_HELD_WRITE_SECTION_H_

#include <vmpl/registry.h>

#include <atomic>
#include <thread>

namespace vmpl::test {

class HeldWriteSection {
 public:
  HeldWriteSection()
      : writer_([this] {
          Registry::RunInWriteSectionForTesting(
              [](void* arg) {
                auto* self = static_cast<HeldWriteSection*>(arg);
                self->inside_.store(true);
                while (!self->release_.load()) {
                  std::this_thread::yield();
                }
              },
              this);
        }) {
    while (!inside_.load()) {
      std::this_thread::yield();
    }
  }
  ~HeldWriteSection() { Release(); }
  HeldWriteSection(const HeldWriteSection&) = delete;
  HeldWriteSection& operator=(const HeldWriteSection&) = delete;

  void Release() {
    release_.store(true);
    if (writer_.joinable()) {
      writer_.join();
    }
  }

 private:
  std::atomic<bool> inside_{false};
  std::atomic<bool> release_{false};
  std::thread writer_;  // last: started after the flags exist
};

}  // namespace vmpl::test

#endif  // VMPL_TESTS_CORE_HELD_WRITE_SECTION_H_
