package cn.yunqian.enrolment.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowPresetsTest {

  @Test
  void builtInPresetsAskForPinAfterIdentity() {
    FlowPresets presets = FlowPresets.load(Optional.empty());

    assertEquals(List.of("sms-login", "id-card", "identity", "region", "pin", "face",
        "signature", "review", "result"), presets.find("phone-first").orElseThrow().steps());
    assertEquals(List.of("signature", "identity", "face", "pin", "result"),
        presets.find("signature-first").orElseThrow().steps());
    assertEquals(List.of("signature", "identity", "face", "pin", "result"),
        presets.find("three-step").orElseThrow().steps());
    assertTrue(presets.find("phone-first").orElseThrow().hasReview());
    assertFalse(presets.find("three-step").orElseThrow().hasReview());
  }

  @Test
  void fileAddsPresetAndPinsOrganisation(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("presets.json");
    Files.writeString(file, "{\"presets\": {\"short\": [\"signature\", \"identity\", \"review\","
        + " \"result\"]}, \"organisations\": {\"某市交易中心\": \"short\"}}");

    FlowPresets presets = FlowPresets.load(Optional.of(file));

    assertEquals(List.of("signature", "identity", "pin", "review", "result"),
        presets.find("short").orElseThrow().steps());
    assertEquals(Optional.of("short"), presets.presetForOrganisation("某市交易中心"));
    assertEquals(Optional.empty(), presets.presetForOrganisation("其他"));
  }

  @Test
  void fileWithBadPresetFailsAtStart(@TempDir Path dir) throws Exception {
    Path pinFirst = dir.resolve("pin-first.json");
    Files.writeString(pinFirst, "{\"presets\": {\"x\": [\"pin\", \"signature\", \"identity\","
        + " \"result\"]}}");
    Path unknownStep = dir.resolve("unknown.json");
    Files.writeString(unknownStep, "{\"presets\": {\"x\": [\"signature\", \"identity\","
        + " \"selfie\", \"result\"]}}");
    Path unknownPreset = dir.resolve("organisation.json");
    Files.writeString(unknownPreset, "{\"organisations\": {\"某市\": \"missing\"}}");

    assertThrows(IllegalArgumentException.class, () -> FlowPresets.load(Optional.of(pinFirst)));
    assertThrows(IllegalArgumentException.class,
        () -> FlowPresets.load(Optional.of(unknownStep)));
    assertThrows(IllegalArgumentException.class,
        () -> FlowPresets.load(Optional.of(unknownPreset)));
  }
}
