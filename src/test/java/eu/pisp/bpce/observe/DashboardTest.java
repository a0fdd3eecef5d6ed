package eu.pisp.bpce.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The committed Grafana dashboard imports as is and shows only metrics the README documents. */
class DashboardTest {

    private static final Pattern METRIC = Pattern.compile("pisp_[a-z_]+");

    @Test
    void dashboardIsImportableAndUsesOnlyDocumentedMetrics() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("operating/grafana-dashboard.json").toFile());
        assertEquals("DS_PROMETHEUS", dashboard.get("__inputs").get(0).get("name").asText(), "asks for its data source");
        assertTrue(dashboard.get("panels").size() > 10);
        Set<String> used = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    used.add(m.group().replaceAll("_(bucket|count|sum)$", ""));
                }
            }
        }
        String readme = Files.readString(Path.of("README.md"));
        for (String metric : used) {
            assertTrue(readme.contains("`" + metric), "the README documents " + metric);
        }
        assertTrue(used.size() >= 10, used.toString());
    }
}
