/*
 * Stand-in for miniaudio's header, for building Ollama from the Go module proxy.
 *
 * Go's module zip of github.com/ollama/ollama leaves out llama/llama.cpp/vendor/, and Debian has
 * no miniaudio package (nlohmann-json3-dev and libstb-dev cover the other two vendored headers).
 * llama.cpp's mtmd-helper.cpp uses miniaudio only to decode audio attachments for audio-capable
 * multimodal models, which Puerta's tests never send. This header declares exactly what that file
 * uses, and every decode fails, so an audio attachment is refused ("failed to decode audio")
 * instead of being silently mis-read. It is written for this project, not copied from miniaudio.
 */
#ifndef PUERTA_MINIAUDIO_STANDIN_H
#define PUERTA_MINIAUDIO_STANDIN_H

#include <stddef.h>
#include <stdint.h>

typedef int ma_result;
typedef uint32_t ma_uint32;
typedef uint64_t ma_uint64;

#define MA_SUCCESS 0
#define MA_NOT_IMPLEMENTED (-29)

typedef enum { ma_format_unknown = 0, ma_format_f32 = 5 } ma_format;

typedef struct {
    ma_format format;
    ma_uint32 channels;
    ma_uint32 sampleRate;
} ma_decoder_config;

typedef struct {
    ma_decoder_config config;
} ma_decoder;

static inline ma_decoder_config ma_decoder_config_init(ma_format format, ma_uint32 channels, ma_uint32 sampleRate) {
    ma_decoder_config c;
    c.format = format;
    c.channels = channels;
    c.sampleRate = sampleRate;
    return c;
}

static inline ma_result ma_decoder_init_memory(const void *data, size_t size, const ma_decoder_config *config, ma_decoder *decoder) {
    (void)data; (void)size;
    if (decoder != NULL && config != NULL) decoder->config = *config;
    return MA_NOT_IMPLEMENTED;
}

static inline ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder *decoder, ma_uint64 *length) {
    (void)decoder;
    if (length != NULL) *length = 0;
    return MA_NOT_IMPLEMENTED;
}

static inline ma_result ma_decoder_read_pcm_frames(ma_decoder *decoder, void *frames, ma_uint64 count, ma_uint64 *read) {
    (void)decoder; (void)frames; (void)count;
    if (read != NULL) *read = 0;
    return MA_NOT_IMPLEMENTED;
}

static inline ma_result ma_decoder_uninit(ma_decoder *decoder) {
    (void)decoder;
    return MA_SUCCESS;
}

#endif
