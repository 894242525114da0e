package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Heap in use by another JVM, from {@code jcmd <pid> GC.heap_info}. */
public final class HeapInfo {

    /** "used 1234K" (Serial, Parallel, G1, ZGC) or "1234K used" (Shenandoah). */
    private static final Pattern USED = Pattern.compile("used (\\d+)([KMG])\\b|\\b(\\d+)([KMG]) used");

    private HeapInfo() {
    }

    /** Bytes of heap used (all generations, without metaspace), or -1 (the reason is logged on stderr). */
    public static long usedBytes(long pid) {
        String jcmd = jcmd();
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                System.err.println("heap: jcmd did not answer within 60 s; heap_used_bytes = -1");
                return -1;
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                System.err.println("heap: " + jcmd + " exited with " + p.exitValue() + "; heap_used_bytes = -1. Output:\n"
                        + text);
                return -1;
            }
            long used = parse(text);
            if (used < 0) {
                System.err.println("heap: no 'used' figure in the jcmd output; heap_used_bytes = -1. Output:\n" + text);
            }
            return used;
        } catch (IOException e) {
            System.err.println("heap: cannot run " + jcmd + " (" + e + "); heap_used_bytes = -1");
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Sums the "used" figures of the heap's spaces; -1 if there is none. */
    static long parse(String heapInfo) {
        long sum = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            String l = line.strip();
            if (l.startsWith("Metaspace") || l.startsWith("class space") || l.startsWith("eden space")
                    || l.startsWith("from space") || l.startsWith("to space") || l.startsWith("the space")
                    || l.startsWith("object space")) {
                continue; // metaspace is not heap; the space lines repeat what their generation says
            }
            Matcher m = USED.matcher(l);
            if (m.find()) {
                String digits = m.group(1) != null ? m.group(1) : m.group(3);
                String unit = m.group(2) != null ? m.group(2) : m.group(4);
                long factor = switch (unit) {
                    case "K" -> 1024L;
                    case "M" -> 1024L * 1024;
                    default -> 1024L * 1024 * 1024;
                };
                sum += Long.parseLong(digits) * factor;
                found = true;
            }
        }
        return found ? sum : -1;
    }

    private static String jcmd() {
        Path local = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(local) ? local.toString() : "jcmd";
    }
}
