// Flowshield.cs — P/Invoke binding of the C SDK (flowshield.h) for .NET, Mono and Unity.
// Unity: put libflowshield.so / flowshield.dll / libflowshield.dylib under Assets/Plugins (on iOS,
// link libflowshield.a and change Lib to "__Internal"). The game keeps its own UdpClient/Socket:
// every received datagram goes to OnDatagram, and NextDatagram says what to send.
// FsClient is not thread-safe (one thread at a time), like fs_client; Dispose frees its memory.
using System;
using System.Runtime.InteropServices;

namespace Flowshield
{
    public static class Status
    {
        public const int Ok = 0, DatagramGame = 1, DatagramChallenge = 2, DatagramIgnored = 3, Solving = 4, Solved = 5, Idle = 6;
        public const int ErrChallengeTooHard = -9, ErrQueueFull = -10, ErrBufferTooSmall = -12;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Config
    {
        public uint MaxQueuedPackets, QueueBytes, MaxPacketSize, MaxAnswerDatagram, MaxWorkBits, HoldAfterHelloMs, ResendWindowMs;
        public IntPtr Token;       // set by FsClient from a byte[]; leave zero
        public UIntPtr TokenLen;
        public int NoHello;
        public uint DefaultsApplied;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Stats
    {
        public uint Challenges, IgnoredChallenges, Solved, Malformed, Queued;
        public ulong LastSolveTries;
        public uint LastDifficulty, LastSubPuzzles;
        public int LastError;
    }

    public static class Native
    {
        const string Lib = "flowshield";
        [DllImport(Lib)] public static extern void fs_client_config_default(ref Config cfg);
        [DllImport(Lib)] public static extern int fs_client_create(ref Config cfg, out IntPtr client);
        [DllImport(Lib)] public static extern void fs_client_destroy(IntPtr client);
        [DllImport(Lib)] public static extern int fs_client_start(IntPtr client, ulong nowMs);
        [DllImport(Lib)] public static extern int fs_client_send(IntPtr client, byte[] data, UIntPtr len, ulong nowMs);
        [DllImport(Lib)] public static extern int fs_client_on_datagram(IntPtr client, byte[] data, UIntPtr len, ulong nowMs);
        [DllImport(Lib)] public static extern int fs_client_solve_step(IntPtr client, ulong maxHashes);
        [DllImport(Lib)] public static extern int fs_client_next_datagram(IntPtr client, byte[] output, UIntPtr cap, ulong nowMs);
        [DllImport(Lib)] public static extern int fs_client_solving(IntPtr client);
        [DllImport(Lib)] public static extern void fs_client_get_stats(IntPtr client, out Stats stats);
        [DllImport(Lib)] public static extern IntPtr fs_strerror(int code);
    }

    public sealed class FlowshieldException : Exception
    {
        public readonly int Code;
        public FlowshieldException(int code) : base(Marshal.PtrToStringAnsi(Native.fs_strerror(code))) { Code = code; }
    }

    /// <summary>One client: create once, call from the game loop, Dispose at the end.</summary>
    public sealed class FsClient : IDisposable
    {
        IntPtr handle;

        public static Config DefaultConfig()
        {
            var cfg = new Config();
            Native.fs_client_config_default(ref cfg);
            return cfg;
        }

        public FsClient() : this(DefaultConfig(), null) { }

        /// <param name="token">a verified token from the matchmaker (117 bytes, copied), or null for a hello</param>
        public FsClient(Config cfg, byte[] token)
        {
            GCHandle pin = default(GCHandle);
            try
            {
                if (token != null)
                {
                    pin = GCHandle.Alloc(token, GCHandleType.Pinned);
                    cfg.Token = pin.AddrOfPinnedObject();
                    cfg.TokenLen = (UIntPtr)token.Length;
                }
                int r = Native.fs_client_create(ref cfg, out handle);
                if (r != Status.Ok) throw new FlowshieldException(r);
            }
            finally
            {
                if (pin.IsAllocated) pin.Free();
            }
        }

        public int Start(ulong nowMs) { return Native.fs_client_start(handle, nowMs); }
        public int Send(byte[] data, ulong nowMs) { return Native.fs_client_send(handle, data, (UIntPtr)data.Length, nowMs); }
        public int OnDatagram(byte[] data, int length, ulong nowMs) { return Native.fs_client_on_datagram(handle, data, (UIntPtr)length, nowMs); }
        public int SolveStep(ulong maxHashes) { return Native.fs_client_solve_step(handle, maxHashes); }
        public int NextDatagram(byte[] output, ulong nowMs) { return Native.fs_client_next_datagram(handle, output, (UIntPtr)output.Length, nowMs); }
        public bool Solving { get { return Native.fs_client_solving(handle) != 0; } }
        public Stats GetStats() { Stats s; Native.fs_client_get_stats(handle, out s); return s; }

        public void Dispose()
        {
            if (handle != IntPtr.Zero) { Native.fs_client_destroy(handle); handle = IntPtr.Zero; }
            GC.SuppressFinalize(this);
        }

        ~FsClient() { Dispose(); }
    }
}
