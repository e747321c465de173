// A game client over the C# binding, with the game's own UdpClient: sends five moves, solves the
// challenge a few thousand hashes per frame, prints the echoes. Exit 0 when all five came back.
//   mono FlowshieldExample.exe HOST PORT    (libflowshield.so on LD_LIBRARY_PATH)
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Flowshield;

public static class Example
{
    public static int Main(string[] args)
    {
        if (args.Length < 2) { Console.Error.WriteLine("usage: FlowshieldExample.exe HOST PORT"); return 2; }
        var clock = Stopwatch.StartNew();
        Func<ulong> now = () => (ulong)clock.ElapsedMilliseconds;
        var udp = new UdpClient();
        udp.Connect(args[0], int.Parse(args[1]));
        var cfg = FsClient.DefaultConfig();
        cfg.HoldAfterHelloMs = 500;
        using (var client = new FsClient(cfg, null))
        {
            client.Start(now());
            for (int i = 1; i <= 5; i++) client.Send(Encoding.ASCII.GetBytes("move " + i), now());
            var output = new byte[1500];
            int replies = 0;
            while (replies < 5 && clock.ElapsedMilliseconds < 15000)
            {
                int n;
                while ((n = client.NextDatagram(output, now())) > 0) udp.Send(output, n);
                if (client.Solving) { client.SolveStep(4096); continue; }
                if (udp.Available == 0) { System.Threading.Thread.Sleep(1); continue; }
                IPEndPoint from = null;
                byte[] d = udp.Receive(ref from);
                if (client.OnDatagram(d, d.Length, now()) == Status.DatagramGame)
                {
                    Console.WriteLine("server: " + Encoding.ASCII.GetString(d));
                    replies++;
                }
            }
            var st = client.GetStats();
            Console.WriteLine("challenges " + st.Challenges + ", solved " + st.Solved + ", last solve " + st.LastSolveTries + " hashes");
            return replies == 5 ? 0 : 1;
        }
    }
}
