// The IDT and the legacy interrupt hardware: two 8259 PICs and the 8254 PIT.

#include "arch/interrupts.h"

#include <stddef.h>

#include "arch/asm.h"
#include "arch/console.h"
#include "arch/io.h"
#include "arch/panic.h"

extern "C" {
volatile uint64_t timer_ticks_ = 0;

// interrupt_entry.S.
extern const uint64_t exception_stubs[32];
void timer_irq_entry();
void spurious_master_entry();
void spurious_slave_entry();
}

namespace {

// A 64-bit IDT gate.
struct IdtEntry {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtEntry) == 16);

struct __attribute__((packed)) IdtPointer {
  uint16_t limit;
  uint64_t base;
};

// Present, DPL 0, 64-bit interrupt gate (the CPU clears IF on entry).
constexpr uint8_t kInterruptGate = 0x8e;

// Vectors left empty make the CPU raise #GP with error code (vector << 3) | 2, which the #GP
// handler prints: an unexpected interrupt is reported rather than silently lost.
IdtEntry idt[256];

constexpr uint16_t kPicMasterCommand = 0x20;
constexpr uint16_t kPicMasterData = 0x21;
constexpr uint16_t kPicSlaveCommand = 0xa0;
constexpr uint16_t kPicSlaveData = 0xa1;

constexpr uint16_t kPitChannel0 = 0x40;
constexpr uint16_t kPitCommand = 0x43;
constexpr uint32_t kPitInputHz = 1193182;

const char* const kExceptionNames[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved 31",
};

void SetGate(uint8_t vector, uint64_t handler) {
  IdtEntry& e = idt[vector];
  e.offset_low = static_cast<uint16_t>(handler);
  e.selector = KERNEL_CODE_SELECTOR;
  e.ist = 0;
  e.type_attr = kInterruptGate;
  e.offset_mid = static_cast<uint16_t>(handler >> 16);
  e.offset_high = static_cast<uint32_t>(handler >> 32);
  e.reserved = 0;
}

uint64_t Address(void (*fn)()) { return reinterpret_cast<uint64_t>(fn); }

// Moves the PICs' vectors off the CPU exceptions (their power-on base is 0x08) and masks every
// IRQ but IRQ0.
void InitPics() {
  constexpr uint8_t kIcw1Init = 0x11;  // Edge triggered, cascaded, ICW4 follows.
  constexpr uint8_t kIcw4_8086 = 0x01;
  outb(kPicMasterData, 0xff);
  outb(kPicSlaveData, 0xff);
  outb(kPicMasterCommand, kIcw1Init);
  outb(kPicSlaveCommand, kIcw1Init);
  outb(kPicMasterData, kPicMasterVector);
  outb(kPicSlaveData, kPicSlaveVector);
  outb(kPicMasterData, 1 << 2);  // The slave hangs off IRQ2.
  outb(kPicSlaveData, 2);        // Its cascade identity.
  outb(kPicMasterData, kIcw4_8086);
  outb(kPicSlaveData, kIcw4_8086);
  outb(kPicMasterData, 0xfe);  // Only IRQ0.
  outb(kPicSlaveData, 0xff);
}

void InitPit() {
  constexpr uint8_t kChannel0RateGenerator = 0x34;  // Channel 0, lobyte/hibyte, mode 2, binary.
  constexpr uint16_t kDivisor = (kPitInputHz + kTimerHz / 2) / kTimerHz;
  outb(kPitCommand, kChannel0RateGenerator);
  outb(kPitChannel0, kDivisor & 0xff);
  outb(kPitChannel0, kDivisor >> 8);
}

uint64_t ReadCr2() {
  uint64_t value;
  asm volatile("mov %%cr2, %0" : "=r"(value));
  return value;
}

}  // namespace

void arch_init_interrupts() {
  for (uint8_t v = 0; v < 32; ++v) SetGate(v, exception_stubs[v]);
  SetGate(kPicMasterVector + 0, Address(timer_irq_entry));
  SetGate(kPicMasterVector + 7, Address(spurious_master_entry));
  SetGate(kPicSlaveVector + 7, Address(spurious_slave_entry));
  IdtPointer pointer{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
  asm volatile("lidt %0" : : "m"(pointer));
  InitPics();
  InitPit();
}

uint64_t timer_ticks() { return timer_ticks_; }

void arch_enable_interrupts() { asm volatile("sti" ::: "memory"); }

void arch_disable_interrupts() { asm volatile("cli" ::: "memory"); }

void arch_idle() { asm volatile("sti; hlt" ::: "memory"); }

uint64_t arch_rdtsc() {
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  return (uint64_t{high} << 32) | low;
}

void arch_exception_handler(ExceptionFrame* frame) {
  uint64_t vector = frame->vector;
  kprintf("\nEXCEPTION %lu (%s) error code 0x%lx\n", vector,
          vector < 32 ? kExceptionNames[vector] : "?", frame->error_code);
  kprintf("  rip 0x%016lx  rsp 0x%016lx  cr2 0x%016lx\n", frame->rip, frame->rsp, ReadCr2());
  kprintf("  cs 0x%lx ss 0x%lx rflags 0x%016lx\n", frame->cs, frame->ss, frame->rflags);
  kprintf("  rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n", frame->rax, frame->rbx,
          frame->rcx, frame->rdx);
  kprintf("  rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx r8  0x%016lx\n", frame->rsi, frame->rdi,
          frame->rbp, frame->r8);
  kprintf("  r9  0x%016lx r10 0x%016lx r11 0x%016lx r12 0x%016lx\n", frame->r9, frame->r10,
          frame->r11, frame->r12);
  kprintf("  r13 0x%016lx r14 0x%016lx r15 0x%016lx\n", frame->r13, frame->r14, frame->r15);
  kernel_panic("unhandled exception %lu at rip 0x%016lx", vector, frame->rip);
}
