import java.net.*; import java.net.http.*; import java.time.Duration; import java.util.*;
public class J {
  public static void main(String[] a) throws Exception {
    HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    for (String u : new String[]{"http://127.0.0.1:18999/x","http://inventory.stock.svc.cluster.local.invalid:8080/x","http://127.0.0.1:18081/slow"}) {
      try { c.send(HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofMillis(700)).build(), HttpResponse.BodyHandlers.ofString()); }
      catch (Exception e) { e.printStackTrace(); }
    }
    try { new Socket("127.0.0.1", 5432+1); } catch (Exception e) { e.printStackTrace(); }
    try { List<long[]> l = new ArrayList<>(); while (true) l.add(new long[10_000_000]); } catch (OutOfMemoryError e) { e.printStackTrace(); }
  }
}
