// SPDX-License-Identifier: MIT
// pwsh's entry point: PowerShell's console host, as its src/powershell/Program.cs
// starts it (less -Login, which only re-executes pwsh under a login shell).
namespace AmlRetrain.Bench
{
    public static class PwshR2R
    {
        public static int Main(string[] args)
        {
            return Microsoft.PowerShell.UnmanagedPSEntry.Start(
                args, args.Length);
        }
    }
}
