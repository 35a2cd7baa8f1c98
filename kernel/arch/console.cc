// COM1 at 115200 8N1, polled: no interrupts, so it works from any context (panic, exceptions).

#include "arch/console.h"

#include <stdint.h>

#include "arch/format.h"
#include "arch/io.h"

namespace {

constexpr uint16_t kCom1 = 0x3f8;
// 16550 register offsets.
constexpr uint16_t kData = 0;       // With DLAB=1: divisor low byte.
constexpr uint16_t kIntEnable = 1;  // With DLAB=1: divisor high byte.
constexpr uint16_t kFifoControl = 2;
constexpr uint16_t kLineControl = 3;
constexpr uint16_t kModemControl = 4;
constexpr uint16_t kLineStatus = 5;
constexpr uint8_t kLineStatusTxEmpty = 0x20;
constexpr uint8_t kDlab = 0x80;
constexpr uint8_t k8N1 = 0x03;
// 115200 baud: the UART's 1.8432 MHz clock / 16 / 115200 = 1.
constexpr uint16_t kDivisor = 1;

bool console_ready = false;

void PutRaw(char c) {
  while ((inb(kCom1 + kLineStatus) & kLineStatusTxEmpty) == 0) {
  }
  outb(kCom1 + kData, static_cast<uint8_t>(c));
}

struct BufferSink {
  FormatSink base;
  char* buf;
  size_t size;  // Capacity, including the NUL.
  size_t used;  // Bytes stored so far (excluding the NUL).
};

void BufferWrite(FormatSink* self, const char* data, size_t len) {
  auto* sink = reinterpret_cast<BufferSink*>(self);
  for (size_t i = 0; i < len && sink->used + 1 < sink->size; ++i) sink->buf[sink->used++] = data[i];
}

void ConsoleWrite(FormatSink*, const char* data, size_t len) { console_write(data, len); }

}  // namespace

void console_init() {
  outb(kCom1 + kIntEnable, 0);
  outb(kCom1 + kLineControl, kDlab);
  outb(kCom1 + kData, kDivisor & 0xff);
  outb(kCom1 + kIntEnable, kDivisor >> 8);
  outb(kCom1 + kLineControl, k8N1);
  outb(kCom1 + kFifoControl, 0xc7);   // Enable and clear the FIFOs.
  outb(kCom1 + kModemControl, 0x03);  // DTR and RTS; OUT2 stays off (no serial interrupts).
  console_ready = true;
}

void console_write(const char* data, size_t len) {
  if (!console_ready) console_init();
  for (size_t i = 0; i < len; ++i) {
    if (data[i] == '\n') PutRaw('\r');
    PutRaw(data[i]);
  }
}

int kvsnprintf(char* buf, size_t size, const char* fmt, va_list args) {
  BufferSink sink{{BufferWrite}, buf, size, 0};
  int len = kformat(&sink.base, fmt, args);
  if (size > 0) buf[sink.used] = '\0';
  return len;
}

int ksnprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int len = kvsnprintf(buf, size, fmt, args);
  va_end(args);
  return len;
}

void kvprintf(const char* fmt, va_list args) {
  FormatSink sink{ConsoleWrite};
  kformat(&sink, fmt, args);
}

void kprintf(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  kvprintf(fmt, args);
  va_end(args);
}
