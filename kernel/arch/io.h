// x86 port I/O, for the serial port, the PICs, the PIT and QEMU's isa-debug-exit device.
#ifndef VMPL_KERNEL_ARCH_IO_H_
#define VMPL_KERNEL_ARCH_IO_H_

#include <stdint.h>

inline void outb(uint16_t port, uint8_t value) {
  asm volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

inline void outl(uint16_t port, uint32_t value) {
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

inline uint8_t inb(uint16_t port) {
  uint8_t value;
  asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

#endif  // VMPL_KERNEL_ARCH_IO_H_
