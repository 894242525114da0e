package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The descriptor's artifact choice and shape, and the prompt-format check on the knowledge-base version. */
class ExplainerDescriptorTest {

    static String descriptor(String knowledgeVersion) {
        return "{\"id\": \"explainer-maint\", \"version\": \"1.0.0\", \"kind\": \"explainer\", \"format\": \"torchscript\","
                + " \"default_artifact\": \"s.pt\", \"artifacts\": {\"fp32\": {\"file\": \"f.pt\", \"sha256\": \"AB\"},"
                + " \"student\": {\"file\": \"s.pt\", \"sha256\": \"cd\", \"layers\": 2, \"heads\": 4, \"head_dim\": 32}},"
                + " \"tokenizer_file\": \"tokenizer.json\", \"tokenizer_sha256\": \"ef\","
                + (knowledgeVersion == null ? "" : " \"knowledge_version\": \"" + knowledgeVersion + "\",")
                + " \"architecture\": {\"vocab_size\": 1500, \"d_model\": 384, \"layers\": 2, \"heads\": 6, \"head_dim\": 64,"
                + " \"max_len\": 128}, \"generation\": {\"bos_id\": 1, \"eos_id\": 2, \"sep_id\": 3, \"max_new_tokens\": 96}}";
    }

    @Test
    void defaultArtifactWithItsOwnShape(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("model.json"), descriptor("2.0.0"));
        ExplainerDescriptor d = ExplainerDescriptor.read(dir, null);
        assertThat(d.artifactKey()).isEqualTo("student");
        assertThat(new int[] {d.layers(), d.heads(), d.headDim(), d.maxLen()}).containsExactly(2, 4, 32, 128);
        ExplainerDescriptor f = ExplainerDescriptor.read(dir, "fp32");
        assertThat(new int[] {f.layers(), f.heads(), f.headDim()}).containsExactly(2, 6, 64);
        assertThat(f.sha256()).isEqualTo("ab");
        assertThat(f.knowledgeVersion()).isEqualTo("2.0.0");
    }

    @Test
    void aModelOfAnotherKnowledgeBaseMajorVersionIsRejected(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("model.json"), descriptor("1.0.0"));
        assertThatThrownBy(() -> ExplainerDescriptor.read(dir, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("knowledge_version '1.0.0'").hasMessageContaining("2.x");
        Files.writeString(dir.resolve("model.json"), descriptor(null));
        assertThatThrownBy(() -> ExplainerDescriptor.read(dir, null)).hasMessageContaining("knowledge_version ''");
    }
}
