package io.edgegateway.llm.internal.explain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.edgegateway.llm.internal.rul.MiniJson;

/**
 * Our own byte-level BPE ({@code tokenizer.json}, {@code llm-bundle/training/explainer/SPEC.md} section 5).
 *
 * <p>Why not Hugging Face's tokenizers through DJL: that is a second native (Rust/JNI) library in the JVM, unpacked
 * at run time, for a vocabulary of about a thousand tokens over a narrow domain. This is a hundred lines of plain
 * Java, deterministic, and the Python trainer implements the same rules (golden.json proves they agree).
 *
 * <p>Ids: special tokens first, then the 256 bytes, then one id per merge in rank order. Thread-safe.
 */
public final class BpeTokenizer {

    private final List<String> special;
    private final int byteBase;
    private final Map<String, Integer> mergeRank = new HashMap<>(); // left + '\u0000' + right (latin-1) -> rank
    private final Map<String, Integer> idOfLatin1 = new HashMap<>(); // a token's bytes as latin-1 -> its id
    private final byte[][] bytesOf; // id -> bytes (specials: their UTF-8 text)
    private final List<String> specialsLongestFirst;
    private final Map<String, int[]> chunkCache = new ConcurrentHashMap<>();

    private BpeTokenizer(List<String> special, List<String[]> merges) {
        this.special = List.copyOf(special);
        this.byteBase = special.size();
        int size = byteBase + 256 + merges.size();
        bytesOf = new byte[size][];
        for (int i = 0; i < special.size(); i++) {
            bytesOf[i] = special.get(i).getBytes(StandardCharsets.UTF_8);
        }
        for (int b = 0; b < 256; b++) {
            bytesOf[byteBase + b] = new byte[] {(byte) b};
            idOfLatin1.put(String.valueOf((char) b), byteBase + b);
        }
        for (int k = 0; k < merges.size(); k++) {
            String[] m = merges.get(k);
            Integer left = idOfLatin1.get(m[0]);
            Integer right = idOfLatin1.get(m[1]);
            if (left == null || right == null) {
                throw new IllegalArgumentException("tokenizer.json: merge " + k + " " + Arrays.toString(m)
                        + " uses a token that no earlier merge made");
            }
            int id = byteBase + 256 + k;
            bytesOf[id] = concat(bytesOf[left], bytesOf[right]);
            mergeRank.putIfAbsent(m[0] + '\u0000' + m[1], k);
            idOfLatin1.putIfAbsent(m[0] + m[1], id);
        }
        specialsLongestFirst = special.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    public static BpeTokenizer load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.getFileName().toString());
    }

    static BpeTokenizer parse(String json, String name) {
        Map<String, Object> m = MiniJson.object(MiniJson.parse(json), name);
        if (!"byte-bpe".equals(m.get("type"))) {
            throw new IllegalArgumentException(name + ": type must be \"byte-bpe\", is " + m.get("type"));
        }
        List<String> special = MiniJson.strings(m.get("special"), name + " special");
        if (special.size() < 4 || !special.subList(0, 4).equals(List.of("<pad>", "<s>", "</s>", "<sep>"))) {
            throw new IllegalArgumentException(name + ": special must start with <pad>, <s>, </s>, <sep>");
        }
        List<String[]> merges = new ArrayList<>();
        for (Object o : MiniJson.array(m.get("merges"), name + " merges")) {
            List<String> pair = MiniJson.strings(o, name + " merge");
            if (pair.size() != 2) {
                throw new IllegalArgumentException(name + ": each merge is a pair");
            }
            merges.add(new String[] {pair.get(0), pair.get(1)});
        }
        return new BpeTokenizer(special, merges);
    }

    public int vocabSize() {
        return bytesOf.length;
    }

    /** The id of a special token (e.g. a slot such as {@code {rul}}), or -1 when the tokenizer has none. */
    public int specialId(String text) {
        return special.indexOf(text);
    }

    public int bos() {
        return 1;
    }

    public int eos() {
        return 2;
    }

    public int sep() {
        return 3;
    }

    /** The ids of {@code text}: special tokens where their text occurs, BPE over everything else. */
    public int[] encode(String text) {
        IntList out = new IntList();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String sp = specialAt(text, i);
            if (sp == null) {
                i++;
                continue;
            }
            encodeSegment(text.substring(start, i), out);
            out.add(special.indexOf(sp));
            i += sp.length();
            start = i;
        }
        encodeSegment(text.substring(start), out);
        return out.toArray();
    }

    /** The text of {@code ids}; bytes that are not valid UTF-8 become U+FFFD. */
    public String decode(int[] ids, int from, int to) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (int k = from; k < to; k++) {
            buf.writeBytes(bytesOf[ids[k]]);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    private String specialAt(String text, int i) {
        for (String s : specialsLongestFirst) {
            if (text.startsWith(s, i)) {
                return s;
            }
        }
        return null;
    }

    /** Chunks: " word", "word", or a space not followed by a non-space (only U+0020 counts as space). */
    private void encodeSegment(String s, IntList out) {
        int i = 0;
        while (i < s.length()) {
            int j = i;
            if (s.charAt(j) == ' ') {
                j++;
                if (j == s.length() || s.charAt(j) == ' ') {
                    out.addAll(chunk(" "));
                    i = j;
                    continue;
                }
            }
            while (j < s.length() && s.charAt(j) != ' ') {
                j++;
            }
            out.addAll(chunk(s.substring(i, j)));
            i = j;
        }
    }

    private int[] chunk(String c) {
        int[] cached = chunkCache.get(c);
        if (cached != null) {
            return cached;
        }
        // merges work on the tokens' bytes (as latin-1 text), like the Python trainer; ids are looked up at the end
        List<String> toks = new ArrayList<>();
        for (byte x : c.getBytes(StandardCharsets.UTF_8)) {
            toks.add(String.valueOf((char) (x & 0xff)));
        }
        while (toks.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int k = 0; k + 1 < toks.size(); k++) {
                Integer r = mergeRank.get(toks.get(k) + '\u0000' + toks.get(k + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = k;
                }
            }
            if (best < 0) {
                break;
            }
            toks.set(best, toks.get(best) + toks.get(best + 1));
            toks.remove(best + 1);
        }
        int[] r = toks.stream().mapToInt(idOfLatin1::get).toArray();
        if (chunkCache.size() < 100_000) {
            chunkCache.put(c, r);
        }
        return r;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] v) {
            for (int x : v) {
                add(x);
            }
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
