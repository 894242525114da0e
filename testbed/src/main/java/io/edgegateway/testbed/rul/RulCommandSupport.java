package io.edgegateway.testbed.rul;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.llm.internal.rul.RulPredictor;

/** Loads the RUL model for the testbed tools, outside OSGi, with the gateway's own predictor code. */
public final class RulCommandSupport {

    private RulCommandSupport() {
    }

    /**
     * {@code dir} (a folder with model.json), or else the model bundle on the class path (model/model.json),
     * extracted into a temporary folder. DJL runs offline, unpacking libtorch into the distribution's
     * data/djl-cache (or DJL_CACHE_DIR when set).
     */
    public static RulPredictor load(Path dir, String artifact) throws IOException {
        configureDjl();
        Path modelDir = dir;
        if (modelDir == null) {
            modelDir = Files.createTempDirectory("rul-model");
            modelDir.toFile().deleteOnExit();
            ModelDescriptor.extract(RulCommandSupport::resource, "model/model.json", modelDir);
            try (var files = Files.list(modelDir)) {
                files.forEach(f -> f.toFile().deleteOnExit());
            }
        }
        return RulPredictor.load(ModelDescriptor.read(modelDir, artifact));
    }

    /** DJL offline, libtorch unpacked into the distribution's data/djl-cache (or DJL_CACHE_DIR when set). */
    public static void configureDjl() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            String dist = System.getProperty("gateway.dist");
            if (dist != null) {
                System.setProperty("DJL_CACHE_DIR", Path.of(dist, "data", "djl-cache").toString());
            }
        }
    }

    private static InputStream resource(String path) {
        return RulCommandSupport.class.getClassLoader().getResourceAsStream(path);
    }
}
