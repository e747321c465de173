/*
 * The benchmarked program compiled natively (clang -O2, x86-64): PROGRAM is the C file, built
 * exactly as for BPF but for the host. Its helpers are function pointers holding their BPF
 * helper numbers; native_bind points the ones the benchmarked programs call at the harness's
 * implementations (an indirect call per helper, as a JIT's helper call is).
 */
#include PROGRAM

void native_bind(void *const *helpers)
{
#ifdef FLOWSHIELD_H
    fs_rand = helpers[1];
    fs_timestamp = helpers[2];
    fs_get_src_ip_status_raw = helpers[11];
#endif
#ifdef FLOWSHIELD_CF_EBPF_HELPER_H
    rand = helpers[1];
    timestamp = helpers[2];
    _cf_ebpf_get_src_ip_status_raw = helpers[11];
#endif
}

u64 native_run(void *ctx)
{
    return cf_ebpf_main(ctx);
}
