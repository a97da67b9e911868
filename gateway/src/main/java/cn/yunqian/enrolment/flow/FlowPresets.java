package cn.yunqian.enrolment.flow;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The enrolment flows of a deployment: three built-in presets modelled on the products that
 * tender organisations already know, plus any defined in an optional JSON file, which may also
 * pin an organisation to one preset:
 *
 * <pre>{@code
 * {"presets": {"short": ["signature", "identity", "face", "result"]},
 *  "organisations": {"某市公共资源交易中心": "three-step"}}
 * }</pre>
 *
 * <p>A preset without a {@code pin} step gets one inserted just before {@code review} or
 * {@code result}, because every signer must choose a PIN and the PIN rules need the ID number.
 */
public final class FlowPresets {

  /** SMS login, ID card photos, identity, region, PIN, face, signature, staff review. */
  public static final String PHONE_FIRST = "phone-first";
  /** Signature, identity (optionally with mobile and SMS code), face; approved on submit. */
  public static final String SIGNATURE_FIRST = "signature-first";
  /** Signature, identity, face scan; approved on submit. */
  public static final String THREE_STEP = "three-step";

  private final Map<String, FlowPreset> presets;
  private final Map<String, String> organisationPresets;

  private FlowPresets(Map<String, FlowPreset> presets, Map<String, String> organisationPresets) {
    this.presets = presets;
    this.organisationPresets = organisationPresets;
  }

  /** Returns the built-in presets and, when a file is given, those it defines. */
  public static FlowPresets load(Optional<Path> file) {
    return load(file, false);
  }

  /**
   * Returns the presets as {@link #load(Optional)} does; with {@code requireReview}, a preset
   * without a staff review step gets one before its result. A deployment whose face check
   * cannot compare the face with the ID card (the built-in check) must not let a person who
   * only knows someone's name and ID number become that signer without a reviewer.
   */
  public static FlowPresets load(Optional<Path> file, boolean requireReview) {
    FlowPresets loaded = loadAsWritten(file);
    if (!requireReview) {
      return loaded;
    }
    Map<String, FlowPreset> reviewed = new LinkedHashMap<>();
    loaded.presets.forEach((name, preset) -> reviewed.put(name,
        new FlowPreset(name, withReview(preset.steps()))));
    return new FlowPresets(Map.copyOf(reviewed), loaded.organisationPresets);
  }

  private static List<String> withReview(List<String> steps) {
    if (steps.contains(Step.REVIEW)) {
      return steps;
    }
    List<String> withReview = new ArrayList<>(steps);
    withReview.add(steps.size() - 1, Step.REVIEW);
    return List.copyOf(withReview);
  }

  private static FlowPresets loadAsWritten(Optional<Path> file) {
    Map<String, FlowPreset> presets = new LinkedHashMap<>();
    add(presets, PHONE_FIRST, List.of(Step.SMS_LOGIN, Step.ID_CARD, Step.IDENTITY, Step.REGION,
        Step.PIN, Step.FACE, Step.SIGNATURE, Step.REVIEW, Step.RESULT));
    add(presets, SIGNATURE_FIRST, List.of(Step.SIGNATURE, Step.IDENTITY, Step.FACE,
        Step.RESULT));
    add(presets, THREE_STEP, List.of(Step.SIGNATURE, Step.IDENTITY, Step.FACE, Step.RESULT));
    Map<String, String> organisations = new LinkedHashMap<>();
    if (file.isPresent()) {
      JsonObject json = read(file.get());
      JsonObject extra = json.getJsonObject("presets", new JsonObject());
      for (String name : extra.fieldNames()) {
        JsonArray steps = extra.getJsonArray(name);
        List<String> names = new ArrayList<>();
        steps.forEach(step -> names.add(String.valueOf(step)));
        add(presets, name, names);
      }
      JsonObject chosen = json.getJsonObject("organisations", new JsonObject());
      for (String organisation : chosen.fieldNames()) {
        String preset = chosen.getString(organisation);
        if (!presets.containsKey(preset)) {
          throw new IllegalArgumentException("Organisation '" + organisation
              + "' names unknown preset '" + preset + "' in " + file.get());
        }
        organisations.put(organisation, preset);
      }
    }
    return new FlowPresets(Map.copyOf(presets), Map.copyOf(organisations));
  }

  /** Returns the preset by name. */
  public Optional<FlowPreset> find(String name) {
    return Optional.ofNullable(presets.get(name));
  }

  /** Returns the preset that the configuration pins for the organisation, if any. */
  public Optional<String> presetForOrganisation(String organisation) {
    return Optional.ofNullable(organisationPresets.get(organisation));
  }

  private static void add(Map<String, FlowPreset> presets, String name, List<String> steps) {
    presets.put(name, new FlowPreset(name, withPin(name, validate(name, steps))));
  }

  private static List<String> validate(String name, List<String> steps) {
    if (!steps.contains(Step.RESULT) || !Step.RESULT.equals(steps.get(steps.size() - 1))) {
      throw new IllegalArgumentException("Preset '" + name + "' must end with 'result'");
    }
    if (new HashSet<>(steps).size() != steps.size()) {
      throw new IllegalArgumentException("Preset '" + name + "' repeats a step");
    }
    for (String step : steps) {
      if (!Step.ALL.contains(step)) {
        throw new IllegalArgumentException("Preset '" + name + "' has unknown step '" + step
            + "'. Expected one of " + Step.ALL);
      }
    }
    if (!steps.contains(Step.IDENTITY) || !steps.contains(Step.SIGNATURE)) {
      throw new IllegalArgumentException("Preset '" + name
          + "' needs the 'identity' and 'signature' steps");
    }
    if (steps.contains(Step.REVIEW) && steps.indexOf(Step.REVIEW) != steps.size() - 2) {
      throw new IllegalArgumentException("Preset '" + name
          + "' must put 'review' just before 'result'");
    }
    int pin = steps.indexOf(Step.PIN);
    if (pin >= 0 && pin < steps.indexOf(Step.IDENTITY)) {
      throw new IllegalArgumentException("Preset '" + name
          + "' asks for the PIN before the ID number is known. Move 'pin' after 'identity'");
    }
    return steps;
  }

  private static List<String> withPin(String name, List<String> steps) {
    if (steps.contains(Step.PIN)) {
      return steps;
    }
    List<String> withPin = new ArrayList<>(steps);
    int end = steps.contains(Step.REVIEW) ? steps.indexOf(Step.REVIEW) : steps.size() - 1;
    withPin.add(end, Step.PIN);
    return withPin;
  }

  private static JsonObject read(Path file) {
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the enrolment presets file " + file, e);
    }
  }
}
