package cn.yunqian.web;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Debian Chromium driven by Debian's chromedriver, emulating a 390x844 phone at device
 * pixel ratio 3 inside WeChat, with a fake front camera. One instance per test class; every
 * screenshot goes to {@code target/screenshots/<name>/NN-<step>.png}.
 */
final class PhoneBrowser implements AutoCloseable {

  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  /** WeChat 8.0.50 on Android 14, the in-app browser the QR code opens. */
  static final String WECHAT_USER_AGENT = "Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007;"
      + " wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile"
      + " Safari/537.36 XWEB/1300289 MMWEBSDK/20240501 MMWEBID/1234 MicroMessenger/8.0.50.2701(0x28003252)"
      + " WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";

  private final ChromeDriver driver;
  private final Path profile;
  private final Path screenshotDir;
  private int screenshotNumber;

  private PhoneBrowser(ChromeDriver driver, Path profile, Path screenshotDir) {
    this.driver = driver;
    this.profile = profile;
    this.screenshotDir = screenshotDir;
  }

  /**
   * Starts Chromium. {@code fakeVideo} is a Y4M file for the camera, or null for Chromium's
   * built-in test pattern, which contains no face.
   */
  static PhoneBrowser start(String name, Path fakeVideo) throws IOException {
    for (String binary : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(Path.of(binary))) {
        throw new IllegalStateException(binary + " is missing; install the Debian packages"
            + " chromium and chromium-driver (./yunqian test does it)");
      }
    }
    Path profile = Files.createTempDirectory("yunqian-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--lang=zh-CN");
    if (fakeVideo != null) {
      options.addArguments("--use-file-for-fake-video-capture=" + fakeVideo.toAbsolutePath());
    }
    options.setExperimentalOption("mobileEmulation", Map.of(
        "deviceMetrics", Map.of("width", 390, "height", 844, "pixelRatio", 3.0, "touch", true,
            "mobile", true),
        "userAgent", WECHAT_USER_AGENT));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    Path shots = Path.of("target", "screenshots", name);
    deleteScreenshots(shots);
    Files.createDirectories(shots);
    return new PhoneBrowser(driver, profile, shots);
  }

  WebDriver driver() {
    return driver;
  }

  void open(String url) {
    driver.get(url);
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  List<WebElement> findAll(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  void type(String css, String text) {
    WebElement element = find(css);
    element.clear();
    element.sendKeys(text);
  }

  void click(String css) {
    WebElement element = find(css);
    ((JavascriptExecutor) driver).executeScript(
        "arguments[0].scrollIntoView({block: 'center'})", element);
    element.click();
  }

  /**
   * Waits until {@code condition} holds. On timeout, saves a {@code failed-<description>}
   * screenshot and fails with the page's #error text and the browser console.
   */
  void await(String description, Duration timeout,
      java.util.function.BooleanSupplier condition) {
    try {
      new WebDriverWait(driver, timeout).until(d -> condition.getAsBoolean());
    } catch (TimeoutException e) {
      String shot;
      try {
        shot = screenshot("failed-" + description.replaceAll("[^a-z0-9]+", "-")).toString();
      } catch (IOException io) {
        shot = "(screenshot failed: " + io + ")";
      }
      throw new AssertionError("timed out after " + timeout + " waiting for " + description
          + "; #error shows '" + textOf("#error") + "'; screenshot " + shot + "\n"
          + consoleLog(), e);
    }
  }

  /** Waits until the element exists and is displayed, and returns it. */
  WebElement awaitVisible(String css, Duration timeout) {
    await(css + " visible", timeout, () -> {
      List<WebElement> found = findAll(css);
      return !found.isEmpty() && found.get(0).isDisplayed();
    });
    return find(css);
  }

  /** Waits until the element's text contains {@code text}, and returns the whole text. */
  String awaitText(String css, String text, Duration timeout) {
    try {
      return new WebDriverWait(driver, timeout).until(d -> {
        List<WebElement> found = d.findElements(By.cssSelector(css));
        String current = found.isEmpty() ? "" : found.get(0).getText();
        return current.contains(text) ? current : null;
      });
    } catch (TimeoutException e) {
      throw new AssertionError("'" + css + "' did not show '" + text + "' within " + timeout
          + "; it shows '" + textOf(css) + "'\n" + consoleLog(), e);
    }
  }

  String textOf(String css) {
    List<WebElement> found = findAll(css);
    return found.isEmpty() ? "" : found.get(0).getText();
  }

  /**
   * Draws strokes on a canvas with the mouse. Each stroke is a list of {x, y} offsets from the
   * canvas centre in CSS pixels.
   */
  void draw(String css, List<int[][]> strokes) {
    WebElement canvas = find(css);
    ((JavascriptExecutor) driver).executeScript(
        "arguments[0].scrollIntoView({block: 'center'})", canvas);
    for (int[][] stroke : strokes) {
      Actions actions = new Actions(driver)
          .moveToElement(canvas, stroke[0][0], stroke[0][1])
          .clickAndHold();
      for (int i = 1; i < stroke.length; i++) {
        actions.moveByOffset(stroke[i][0] - stroke[i - 1][0], stroke[i][1] - stroke[i - 1][1]);
      }
      actions.release().perform();
    }
  }

  Object script(String javascript, Object... arguments) {
    return ((JavascriptExecutor) driver).executeScript(javascript, arguments);
  }

  /** Runs an async script whose last argument is the callback, and returns what it passes. */
  Object asyncScript(String javascript, Object... arguments) {
    return ((JavascriptExecutor) driver).executeAsyncScript(javascript, arguments);
  }

  /** Saves a screenshot of the viewport as {@code NN-<step>.png}. */
  Path screenshot(String step) throws IOException {
    screenshotNumber++;
    Path file = screenshotDir.resolve(String.format("%02d-%s.png", screenshotNumber, step));
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    return file;
  }

  /** Returns and clears the console messages the pages logged, for failure messages. */
  String consoleLog() {
    List<String> lines = new ArrayList<>();
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      lines.add(entry.getLevel() + " " + entry.getMessage());
    }
    return lines.isEmpty() ? "(browser console empty)"
        : lines.stream().collect(Collectors.joining("\n", "browser console:\n", ""));
  }

  private static void deleteScreenshots(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
  }

  @Override
  public void close() {
    driver.quit();
    try (var paths = Files.walk(profile)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      System.err.println("Failed to delete the Chromium profile " + profile + ": " + e);
    }
  }
}
