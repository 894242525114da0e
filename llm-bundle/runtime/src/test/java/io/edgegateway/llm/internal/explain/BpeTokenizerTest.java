package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BpeTokenizerTest {

    // ids: 0-4 specials, 5-260 bytes, 261 "th", 262 "the", 263 " the", 264 "{" + "x" never used
    static final String JSON = "{\"type\":\"byte-bpe\",\"version\":1,"
            + "\"special\":[\"<pad>\",\"<s>\",\"</s>\",\"<sep>\",\"{asset}\"],"
            + "\"merges\":[[\"t\",\"h\"],[\"th\",\"e\"],[\" \",\"the\"]]}";

    final BpeTokenizer tok = BpeTokenizer.parse(JSON, "test");

    @Test
    void idsAreSpecialsThenBytesThenMerges() {
        assertThat(tok.vocabSize()).isEqualTo(5 + 256 + 3);
        assertThat(tok.encode("a")).containsExactly(5 + 'a');
        assertThat(tok.encode("the")).containsExactly(262);
        assertThat(tok.encode(" the")).containsExactly(263);
        assertThat(tok.encode("th")).containsExactly(261);
    }

    @Test
    void spaceAttachesToTheFollowingWordAndSpecialsAreAtomic() {
        // "the the" -> "the", " the"; "{asset}" is one id; a trailing space is its own chunk
        assertThat(tok.encode("the the")).containsExactly(262, 263);
        assertThat(tok.encode("the{asset} the ")).containsExactly(262, 4, 263, 5 + ' ');
        // two spaces: the first stands alone, the second joins the word
        assertThat(tok.encode("a  the")).containsExactly(5 + 'a', 5 + ' ', 263);
        // merges never cross a chunk boundary: "t" + "he" across words stays bytes
        assertThat(tok.encode("at he")).containsExactly(5 + 'a', 5 + 't', 5 + ' ', 5 + 'h', 5 + 'e');
    }

    @Test
    void decodeInvertsEncodeIncludingUtf8() {
        String s = "the pump's {asset} bearing at 81 °C — the end\n";
        assertThat(tok.decode(tok.encode(s))).isEqualTo(s);
    }

    @Test
    void rejectsAFileThatIsNotOurs() {
        assertThatThrownBy(() -> BpeTokenizer.parse("{\"type\":\"bpe\"}", "x.json")).hasMessageContaining("byte-bpe");
        assertThatThrownBy(() -> BpeTokenizer.parse("{\"type\":\"byte-bpe\",\"special\":[\"<s>\"],\"merges\":[]}",
                "x.json")).hasMessageContaining("<pad>");
        assertThatThrownBy(() -> BpeTokenizer.parse("{\"type\":\"byte-bpe\",\"special\":[\"<pad>\",\"<s>\",\"</s>\","
                + "\"<sep>\"],\"merges\":[[\"ab\",\"c\"]]}", "x.json")).hasMessageContaining("no earlier merge");
    }
}
