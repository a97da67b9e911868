// Handwritten signature capture on a HiDPI canvas with signature_pad, and the trimmed,
// transparent PNG that the gateway stores.
import SignaturePad from '/m/vendor/signature_pad/dist/signature_pad.js';

/** Signature pad bound to a canvas, sized in device pixels so strokes stay sharp. */
export class SignatureCapture {
  constructor(canvas, onBegin) {
    this.canvas = canvas;
    this.pad = new SignaturePad(canvas, {
      backgroundColor: 'rgba(0,0,0,0)',
      penColor: '#111',
      minWidth: 1,
      maxWidth: 3.5,
    });
    if (onBegin) {
      this.pad.addEventListener('beginStroke', onBegin);
    }
    this.resize = () => this.fitToElement();
    window.addEventListener('resize', this.resize);
    this.fitToElement();
  }

  /** Sizes the drawing buffer to offsetWidth x devicePixelRatio and keeps the strokes. */
  fitToElement() {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const strokes = this.pad.toData();
    this.canvas.width = this.canvas.offsetWidth * ratio;
    this.canvas.height = this.canvas.offsetHeight * ratio;
    this.canvas.getContext('2d').scale(ratio, ratio);
    this.pad.clear();
    this.pad.fromData(strokes);
  }

  clear() {
    this.pad.clear();
  }

  strokeCount() {
    return this.pad.toData().length;
  }

  /** Returns the signature as base64 PNG, cropped to the ink with a small transparent margin. */
  trimmedPngBase64() {
    const bounds = inkBounds(this.canvas);
    if (!bounds) {
      return null;
    }
    const margin = 8;
    const left = Math.max(0, bounds.left - margin);
    const top = Math.max(0, bounds.top - margin);
    const right = Math.min(this.canvas.width - 1, bounds.right + margin);
    const bottom = Math.min(this.canvas.height - 1, bounds.bottom + margin);

    const trimmed = document.createElement('canvas');
    trimmed.width = right - left + 1;
    trimmed.height = bottom - top + 1;
    trimmed.getContext('2d').drawImage(this.canvas, left, top, trimmed.width, trimmed.height,
      0, 0, trimmed.width, trimmed.height);
    return trimmed.toDataURL('image/png').split(',')[1];
  }

  destroy() {
    window.removeEventListener('resize', this.resize);
    this.pad.off();
  }
}

/** Returns the bounding box of the non-transparent pixels, or null for an empty canvas. */
function inkBounds(canvas) {
  const { width, height } = canvas;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let top = height;
  let left = width;
  let bottom = -1;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[(y * width + x) * 4 + 3] !== 0) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  return bottom < 0 ? null : { top, left, bottom, right };
}
