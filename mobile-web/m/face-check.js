// Built-in face check: runs @vladmandic/human 3.3.6 on the front camera, with its models served
// by the gateway (no download at run time), and picks a frame that shows exactly one face.
import { Human } from '/m/vendor/@vladmandic/human/dist/human.esm.js';

const MODEL_PATH = '/m/vendor/@vladmandic/human/models/';
const MIN_FACE_SCORE = 0.5;
const JPEG_QUALITY = 0.85;

let humanPromise = null;

/**
 * Picks the TensorFlow.js backend. Software WebGL (SwiftShader, llvmpipe) is skipped because
 * it was slower than the CPU backend: with human 3.3.6 in headless Chromium 156 with
 * --disable-gpu on 2 cores, the first detection took about 14 s on humangl and 6 s on cpu.
 */
function chooseBackend() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) {
      return 'cpu';
    }
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    return /swiftshader|llvmpipe|software/i.test(renderer) ? 'cpu' : 'humangl';
  } catch (e) {
    return 'cpu';
  }
}

function loadHuman() {
  if (!humanPromise) {
    const human = new Human({
      modelBasePath: MODEL_PATH,
      backend: chooseBackend(),
      warmup: 'none',
      cacheSensitivity: 0,
      filter: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 3, minConfidence: 0.3 },
        mesh: { enabled: true },
        iris: { enabled: false },
        attention: { enabled: false },
        description: { enabled: false },
        emotion: { enabled: false },
        antispoof: { enabled: true },
        liveness: { enabled: true },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
    });
    humanPromise = human.load().then(() => human);
    humanPromise.catch(() => { humanPromise = null; });
  }
  return humanPromise;
}

/** Opens the front camera and plays it in the video element. */
export async function startCamera(video) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error('当前浏览器无法打开摄像头，请在微信中打开本页面');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
    });
  } catch (e) {
    throw new Error('无法打开摄像头，请允许本页面使用摄像头后重试');
  }
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function stopCamera(stream) {
  if (stream) {
    stream.getTracks().forEach((track) => track.stop());
  }
}

function grabFrame(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/**
 * Runs detection on camera frames until one frame shows exactly one face, or until at least
 * {@code minAttempts} frames were checked and {@code timeoutMs} has passed. Returns
 * {evidenceJpeg, livenessScore, faceCount} for that frame, or {faceCount} of the last frame
 * when no frame qualified.
 */
export async function findFace(video, { onProgress, timeoutMs = 12000, minAttempts = 2 } = {}) {
  onProgress('正在加载人脸检测模型…');
  const human = await loadHuman();
  const started = performance.now();
  let attempts = 0;
  let lastCount = 0;
  while (attempts < minAttempts || performance.now() - started < timeoutMs) {
    const frame = grabFrame(video);
    onProgress(attempts === 0 ? '正在检测人脸，请保持不动…' : '仍在检测，请正对镜头…');
    const result = await human.detect(frame);
    attempts += 1;
    const faces = result.face.filter((face) => face.score >= MIN_FACE_SCORE);
    lastCount = faces.length;
    if (faces.length === 1) {
      const face = faces[0];
      return {
        evidenceJpeg: frame.toDataURL('image/jpeg', JPEG_QUALITY).split(',')[1],
        livenessScore: typeof face.live === 'number' ? face.live : 0,
        faceCount: 1,
      };
    }
    onProgress(faces.length > 1 ? '画面中有多张人脸，请单独面对镜头' : '没有检测到人脸，请正对镜头');
  }
  return { faceCount: lastCount };
}
