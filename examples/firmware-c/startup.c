/* Startup for the MPS2 AN386 (Cortex-M4F) under QEMU: the vector table, a reset handler
 * that enables the FPU before any floating-point instruction can run, copies .data and
 * zeroes .bss, then runs main() with printf and exit() going through semihosting
 * (newlib's librdimon), and fault handlers that fail the run instead of hanging it. */
#include <stdint.h>
#include <stdlib.h>

/* Symbols of mps2-an386.ld. */
extern uint32_t _stack_top[];
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];

extern int main(void);
extern void initialise_monitor_handles(void); /* librdimon: opens stdin/stdout/stderr */
void SysTick_Handler(void);                   /* main.c */

void Reset_Handler(void);
void Fault_Handler(void);

/* Coprocessor Access Control Register: CP10 and CP11 are the FPU. */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

/* Semihosting operations and the reason code QEMU turns into exit status 1. */
#define SYS_WRITE0 0x04u
#define SYS_EXIT 0x18u
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023u

#define EXTERNAL_INTERRUPTS 32

/* The initial stack pointer, then the handlers of exceptions 1..15 and of the external
 * interrupts; the core reads it at address 0 on reset. */
struct vector_table {
    void *stack_top;
    void (*handlers[15 + EXTERNAL_INTERRUPTS])(void);
};

__attribute__((section(".vectors"), used)) static const struct vector_table vectors = {
    _stack_top,
    {
        Reset_Handler,   /* 1 reset */
        Fault_Handler,   /* 2 NMI */
        Fault_Handler,   /* 3 HardFault */
        Fault_Handler,   /* 4 MemManage */
        Fault_Handler,   /* 5 BusFault */
        Fault_Handler,   /* 6 UsageFault */
        0, 0, 0, 0,      /* 7..10 reserved */
        Fault_Handler,   /* 11 SVCall */
        Fault_Handler,   /* 12 DebugMonitor */
        0,               /* 13 reserved */
        Fault_Handler,   /* 14 PendSV */
        SysTick_Handler, /* 15 SysTick */
        /* External interrupts: none is enabled, so any that fires is a fault. */
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        Fault_Handler, Fault_Handler,
    },
};

static uint32_t semihost(uint32_t operation, const void *argument) {
    register uint32_t r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Any fault or unexpected interrupt: say so and stop QEMU with a failing status. */
void Fault_Handler(void) {
    semihost(SYS_WRITE0, "FAIL: fault or unexpected interrupt\nresult: FAIL\n");
    semihost(SYS_EXIT, (const void *)ADP_STOPPED_RUN_TIME_ERROR);
    for (;;) {
    }
}

/* Runs once the FPU is on: the C runtime's memory, the semihosting streams, main. */
__attribute__((noreturn, noinline)) static void start(void) {
    const uint32_t *from = _sidata;
    for (uint32_t *to = _sdata; to < _edata;) *to++ = *from++;
    for (uint32_t *to = _sbss; to < _ebss;) *to++ = 0;
    initialise_monitor_handles();
    exit(main());
}

void Reset_Handler(void) {
    /* First, before the compiler may use a floating-point register: full access to the
     * FPU, then barriers so that the next instruction sees it. */
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    start();
}
