// Imaging's API speaks in the operations' own types (`ImageOperation`, `ResizeFit`, `DehazeParameters`, …),
// which live in ImageOperations so that the gateway and the contracts can name them without pixels.
@_exported import ImageOperations
