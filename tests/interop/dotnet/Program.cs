// SPDX-License-Identifier: MIT
// Azure.Storage.Blobs against a blob endpoint: upload, download, list,
// properties, with Shared Key (a connection string) or a container SAS.
// Usage: BlobInterop sharedkey CONTAINER   (AZURE_STORAGE_CONNECTION_STRING)
//        BlobInterop sas URLFILE           (a container URL with a SAS)
// Prints one line per check; exits 1 on the first failure.
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

static void Check(bool ok, string what)
{
    if (!ok)
        throw new InvalidOperationException("check failed: " + what);
    Console.WriteLine("ok " + what);
}

static async Task Exercise(BlobContainerClient container, string tag)
{
    var text = "hello from Azure.Storage.Blobs (" + tag + ")\n";
    var small = container.GetBlobClient("dotnet/" + tag + "/hello.txt");
    await small.UploadAsync(BinaryData.FromString(text), new BlobUploadOptions
    {
        HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain" },
    });
    Check(true, tag + ": upload (Put Blob)");

    BlobProperties props = await small.GetPropertiesAsync();
    Check(props.ContentLength == Encoding.UTF8.GetByteCount(text) &&
          props.ContentType == "text/plain" &&
          props.BlobType == BlobType.Block, tag + ": properties");

    BlobDownloadResult got = await small.DownloadContentAsync();
    Check(got.Content.ToString() == text, tag + ": download");

    // Larger than one transfer: Put Block in parallel, then Put Block List;
    // downloaded back in ranges.
    var big = new byte[9 * 1024 * 1024 + 12345];
    new Random(5).NextBytes(big);
    var bigClient = container.GetBlobClient("dotnet/" + tag + "/big.bin");
    await bigClient.UploadAsync(new BinaryData(big), new BlobUploadOptions
    {
        TransferOptions = new StorageTransferOptions
        {
            InitialTransferSize = 1024 * 1024,
            MaximumTransferSize = 1024 * 1024,
            MaximumConcurrency = 4,
        },
    });
    Check(true, tag + ": upload in blocks (Put Block, Put Block List)");
    using (var ms = new MemoryStream())
    {
        await bigClient.DownloadToAsync(ms, new BlobDownloadToOptions
        {
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = 1024 * 1024,
                MaximumTransferSize = 1024 * 1024,
                MaximumConcurrency = 4,
            },
        });
        Check(SHA256.HashData(ms.ToArray()).AsSpan()
                  .SequenceEqual(SHA256.HashData(big)),
              tag + ": ranged download");
    }

    var names = new List<string>();
    await foreach (BlobItem item in container.GetBlobsAsync(
                       BlobTraits.None, BlobStates.None, "dotnet/" + tag + "/", default))
        names.Add(item.Name + ":" + item.Properties.ContentLength);
    Check(names.SequenceEqual(new[] {
              "dotnet/" + tag + "/big.bin:" + big.Length,
              "dotnet/" + tag + "/hello.txt:" + Encoding.UTF8.GetByteCount(text) }),
          tag + ": list (" + string.Join(", ", names) + ")");

    var missing = container.GetBlobClient("dotnet/" + tag + "/missing");
    try
    {
        await missing.GetPropertiesAsync();
        Check(false, tag + ": missing blob gives 404");
    }
    catch (RequestFailedException e)
    {
        Check(e.Status == 404, tag + ": missing blob gives 404 (" +
                               e.ErrorCode + ")");
    }
}

try
{
    if (args.Length == 2 && args[0] == "sharedkey")
    {
        var cs = Environment.GetEnvironmentVariable(
            "AZURE_STORAGE_CONNECTION_STRING") ??
            throw new InvalidOperationException(
                "AZURE_STORAGE_CONNECTION_STRING is not set");
        var service = new BlobServiceClient(cs);
        var container = service.GetBlobContainerClient(args[1]);
        await container.CreateIfNotExistsAsync();
        Check(true, "sharedkey: create container");
        await Exercise(container, "sharedkey");
    }
    else if (args.Length == 2 && args[0] == "sas")
    {
        var url = File.ReadAllText(args[1]).Trim();
        await Exercise(new BlobContainerClient(new Uri(url)), "sas");
    }
    else
    {
        Console.Error.WriteLine("usage: BlobInterop sharedkey CONTAINER | sas URLFILE");
        return 2;
    }
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine("BlobInterop: " + e.Message);
    return 1;
}
