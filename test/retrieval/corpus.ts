/**
 * A small Spanish corpus written for these tests: an IT help desk's documents, one near-duplicate
 * (the vacation policy again, as an HTML page with its own small edits) and one unrelated
 * document (a recipe) that no question should retrieve.
 */
export interface TestDocument {
  id: string;
  title?: string;
  format: 'text' | 'markdown' | 'html';
  content: string;
  metadata?: Record<string, string | number | boolean | null>;
}

const VACACIONES = [
  'Cada persona colaboradora tiene derecho a quince días hábiles de vacaciones pagadas por cada año trabajado.',
  'Las vacaciones se solicitan en el portal de recursos humanos con al menos diez días hábiles de anticipación, y la jefatura inmediata debe aprobarlas.',
  'Los días de vacaciones no disfrutados pueden acumularse hasta un máximo de treinta días; lo que exceda ese límite se pierde al cierre del año fiscal.',
  'Durante el cierre contable de diciembre no se aprueban vacaciones para el equipo de finanzas, salvo casos excepcionales autorizados por la gerencia.',
];

export const CORPUS: TestDocument[] = [
  {
    id: 'vpn',
    format: 'markdown',
    metadata: { area: 'tecnologia', version: 3 },
    content: [
      '# Conexión a la VPN corporativa',
      '',
      'Para trabajar desde casa necesitás conectarte a la VPN corporativa. Instalá el cliente OpenVPN desde el portal de software de la empresa y descargá tu perfil de conexión personal.',
      '',
      '## Código de doble factor',
      '',
      'Al conectarte a la VPN, el cliente pide tu usuario de red, tu contraseña y un código de doble factor de seis dígitos. El código de doble factor se genera en la aplicación autenticadora del teléfono y cambia cada treinta segundos.',
      '',
      '## Problemas frecuentes de la VPN',
      '',
      'Si la VPN se desconecta cada pocos minutos, revisá que la hora del teléfono esté sincronizada, porque un reloj desfasado invalida el código de doble factor. Si el cliente OpenVPN no conecta, reiniciá el servicio y volvé a importar el perfil.',
    ].join('\n'),
  },
  { id: 'vacaciones', title: 'Política de vacaciones', format: 'text', metadata: { area: 'recursos-humanos' }, content: VACACIONES.join('\n\n') },
  {
    id: 'vacaciones-intranet',
    format: 'html',
    metadata: { area: 'recursos-humanos', fuente: 'intranet' },
    content: `<!doctype html><html><head><title>Vacaciones (copia de la intranet)</title><style>p{margin:0}</style></head><body>
<nav>Inicio · Recursos humanos</nav>
${VACACIONES.map((p) => `<p>${p.replace('pagadas', 'pagadas,').replace('fiscal', 'fiscal ')}</p>`).join('\n')}
<script>console.log("analytics")</script></body></html>`,
  },
  {
    id: 'impresoras',
    format: 'text',
    metadata: { area: 'tecnologia' },
    content:
      'Las impresoras de cada piso se agregan desde el panel de impresión de la computadora. Elegí la impresora por su número de piso y su ubicación. ' +
      'Para imprimir documentos confidenciales usá la impresión segura: el trabajo queda retenido hasta que acercás tu carné al lector de la impresora. ' +
      'Si la impresora muestra un atasco de papel, abrí la bandeja lateral, retirá la hoja con cuidado y cerrá la bandeja.',
  },
  {
    id: 'receta',
    title: 'Gallo pinto',
    format: 'text',
    metadata: { area: 'cocina' },
    content: 'Para el gallo pinto sofreí cebolla, chile dulce y culantro en aceite. Agregá el arroz del día anterior y los frijoles negros con un poco de su caldo, y mezclá con salsa Lizano hasta que todo tenga color parejo. Se sirve con huevos, natilla y plátano maduro.',
  },
];

export const QUESTIONS = {
  vpn: '¿Qué hago si la VPN me pide el código de doble factor y no conecta?',
  vacaciones: '¿Con cuántos días de anticipación se solicitan las vacaciones en el portal de recursos humanos?',
};
